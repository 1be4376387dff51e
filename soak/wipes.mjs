// Faults that erase the deployment's data (FLUSHALL, or Redis restarted empty): the schedule is rebuilt,
// backoff state and dynamic definitions are gone, slots until the rebuild are explained by the wipe.
const WIPE_KINDS = new Set([
  'flushall',
  'redis-restart',
  'wipe-lost-completion',
  'freeze-then-wipe',
  'lost-failure-then-wipe',
  'wipe-register-resent',
]);

/** Whether the fault `f` wiped the data. */
export const isWipe = (f) => WIPE_KINDS.has(f.kind);
