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

/**
 * The lease limit an outcome is sent with (its `leaseUntil` for `complete`, the same for every sending of it):
 * for a failure that queues a retry, at most half the shortest retry delay after `sentAt`, the cluster time
 * of its first sending. A sending may be carried out with its reply lost, then sent again (ioredis re-sends
 * it on reconnecting, the run lifecycle retries it). Carried out, it deleted the run's message and queued a
 * retry, which may run elsewhere once its delay is over; a wipe then erases the evidence (the history entry),
 * and a later sending would take the run for one kept through the wipe and queue the retry a second time
 * (simulator seed 175252, docs/simulation.md finding 5). Before the cap, no retry it queued can have been
 * published yet: a wipe took it with the rest, and recording again queues it once. (Half: the cluster clock
 * is an estimate of the server's.)
 */
export function outcomeLeaseLimit(
  run: Pick<RunMessage, 'leaseUntil' | 'attempt'>,
  outcome: { status: 'success' | 'failed' },
  backoff: { retryBackoff: number; retryBackoffMax: number; maxAttempts: number },
  sentAt: number,
): number | undefined {
  if (outcome.status !== 'failed' || run.attempt >= backoff.maxAttempts) return run.leaseUntil;
  const shortestDelayMs = Math.min(backoff.retryBackoff, backoff.retryBackoffMax) * 1000;
  return Math.min(run.leaseUntil ?? 0, sentAt + shortestDelayMs / 2);
}
