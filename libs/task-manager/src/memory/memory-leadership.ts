import type { LeadershipPort, ServerTimed } from '../engine/coordination.port.js';
import type { MemoryStore } from './memory-store.js';
import { leaderToken, ownEpoch } from '../wire/leader-token.js';

/**
 * The leader lease in memory: a token `<workerId>|<epoch>` with an expiry; the epoch (fencing token) grows
 * on every acquisition; renewal and release are compare-and-set, like `acquire-leader` / `renew-leader` /
 * `release-leader`.
 */
export class MemoryLeadership implements LeadershipPort {
  constructor(private readonly store: MemoryStore) {}

  async acquire(
    workerId: string,
    ttlMs: number,
  ): Promise<({ token: string; epoch: number } | { retryInMs: number }) & ServerTimed> {
    const now = this.store.now();
    const current = this.store.leaderToken(now);
    const own = current === null ? undefined : ownEpoch(current, workerId);
    if (current !== null && own !== undefined) {
      // Its own lease (see `acquire-leader`): renewed, same epoch.
      this.store.leader = { token: current, expiresAt: now + ttlMs };
      return { token: current, epoch: own, serverTime: now };
    }
    if (current !== null) return { retryInMs: Math.max(0, this.store.leader!.expiresAt - now), serverTime: now };
    const epoch = ++this.store.epoch;
    const token = leaderToken(workerId, epoch);
    this.store.leader = { token, expiresAt: now + ttlMs };
    return { token, epoch, serverTime: now };
  }

  async renew(
    token: string,
    ttlMs: number,
    checkWorkers = true,
  ): Promise<{ renewed: boolean; oldestWorkerSeen: number | null } & ServerTimed> {
    const now = this.store.now();
    const current = this.store.leaderToken(now);
    if (current !== token) {
      // Like `renew-leader`'s GETEX: another's lease is extended by one TTL from now, once (its deposed leader
      // steps down on this answer).
      if (current !== null) this.store.leader!.expiresAt = now + ttlMs;
      return { renewed: false, oldestWorkerSeen: null, serverTime: now };
    }
    this.store.leader = { token, expiresAt: now + ttlMs };
    // (A partition's lease, like the Redis driver's, reads no worker registry: the engine watches it itself.)
    const oldestWorkerSeen =
      checkWorkers && !this.store.isPartition ? (this.store.workers.first()?.score ?? null) : null;
    return { renewed: true, oldestWorkerSeen, serverTime: now };
  }

  async release(token: string): Promise<void> {
    if (this.store.leaderToken() === token) this.store.leader = null;
  }

  async holder(): Promise<string | null> {
    return this.store.leaderToken();
  }
}
