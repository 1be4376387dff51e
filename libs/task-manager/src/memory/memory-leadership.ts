import type { LeadershipPort } from '../engine/coordination.port.js';
import type { MemoryStore } from './memory-store.js';

/**
 * The leader lease in memory: a token `<workerId>|<epoch>` with an expiry; the epoch (fencing token) grows
 * on every acquisition; renewal and release are compare-and-set, like `acquire-leader` / `renew-leader` /
 * `release-leader`.
 */
export class MemoryLeadership implements LeadershipPort {
  constructor(private readonly store: MemoryStore) {}

  async acquire(workerId: string, ttlMs: number): Promise<{ token: string; epoch: number } | { retryInMs: number }> {
    const now = this.store.now();
    if (this.store.leaderToken(now) !== null) return { retryInMs: Math.max(0, this.store.leader!.expiresAt - now) };
    const epoch = ++this.store.epoch;
    const token = `${workerId}|${epoch}`;
    this.store.leader = { token, expiresAt: now + ttlMs };
    return { token, epoch };
  }

  async renew(
    token: string,
    ttlMs: number,
    checkWorkers = true,
  ): Promise<{ renewed: boolean; oldestWorkerSeen: number | null }> {
    const now = this.store.now();
    if (this.store.leaderToken(now) !== token) return { renewed: false, oldestWorkerSeen: null };
    this.store.leader = { token, expiresAt: now + ttlMs };
    return { renewed: true, oldestWorkerSeen: checkWorkers ? (this.store.workers.first()?.score ?? null) : null };
  }

  async release(token: string): Promise<void> {
    if (this.store.leaderToken() === token) this.store.leader = null;
  }
}
