/**
 * The slot of a manual trigger applied at `nowMs` (server time): never a cron slot. A run's id is (task,
 * slot, attempt) and cron slots are whole seconds (cron-parser's precision): a trigger applied in the very
 * millisecond of a slot would be a second run with the slot's run id, both run and recorded (simulator seeds
 * 253 and 1831). So a trigger on a whole second takes the next millisecond. `lua/includes/trigger-slot.lua`
 * is the same rule for the Redis driver.
 */
export function triggerSlot(nowMs: number): number {
  return nowMs % 1000 === 0 ? nowMs + 1 : nowMs;
}
