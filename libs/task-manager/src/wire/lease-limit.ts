import type { RunMessage } from '../engine/coordination.port.js';

/**
 * The server time (ms) before which nobody else can have recovered a run this worker holds: recovery needs
 * its lease idle for a whole TTL, and the lease held from its publication (the stream id's ms is its publish
 * time on the server; delivery comes later) and from each renewal here (`run.leaseUntil`). A run whose
 * message is gone with its data (FLUSHALL, Redis restarted empty) is this worker's only while this limit is
 * ahead: past it, it may have been recovered and run elsewhere before the wipe (simulator seed 261).
 * `includes/generation.lua` (leaseLimit, keptThroughWipe) is the same rule for the Redis driver.
 */
export function leaseLimit(run: Pick<RunMessage, 'messageId' | 'leaseUntil'>, leaseTtlMs?: number): number {
  const published = leaseTtlMs === undefined ? 0 : Number(run.messageId.split('-')[0]) + leaseTtlMs;
  return Math.max(published, run.leaseUntil ?? 0);
}
