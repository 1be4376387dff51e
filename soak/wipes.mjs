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

/**
 * Whether the fault `f` wiped the data: a fault of these kinds that found nothing to act on returns before its
 * FLUSHALL and says so (`wiped: false`); taken for a wipe, it reset the model of the failing tasks' backoff and
 * their gated slots were reported missed (a one-minute soak, 2026-12-03).
 */
export const isWipe = (f) => WIPE_KINDS.has(f.kind) && f.wiped !== false;
