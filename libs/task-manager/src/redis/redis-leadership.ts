import type { LeadershipPort } from '../engine/coordination.port.js';
import type { RedisClient } from './redis-client.js';
import type { RedisScripts } from './redis-scripts.js';
import type { PartitionKeys } from './task-manager-keys.js';
import { leaderToken, parseLeaderToken } from '../wire/leader-token.js';

/**
 * Leader lease in Redis: SET NX PX with a fencing epoch; renewal and release are compare-and-set scripts.
 * The lease of a deployment of one partition (`workers` given) also records the leader's worker heartbeat
 * on renewal; a partition's lease of several does not: the worker registry lies in another slot. The holder
 * is a plain GET of the lease key.
 */
export class RedisLeadership implements LeadershipPort {
  /** With `checkWorkers`, a renewal also records the leader's worker heartbeat (its idle heartbeat is skipped while it leads). */
  readonly renewalRecordsLeader: boolean;

  constructor(
    private readonly client: RedisClient,
    private readonly scripts: RedisScripts,
    private readonly keys: PartitionKeys,
    /**
     * The deployment's workers ZSET, for the lease of a deployment of one partition (same slot); undefined
     * for a partition's lease of several (renewals then never read or write the registry).
     */
    private readonly workers?: string,
  ) {
    this.renewalRecordsLeader = workers !== undefined;
  }

  async acquire(workerId: string, ttlMs: number) {
    const [epoch, ttl, serverTime] = await this.scripts.run<[number, number, number]>(
      'acquireLeader',
      [this.keys.leader, this.keys.epoch],
      [workerId, ttlMs],
    );
    if (epoch > 0) return { token: leaderToken(workerId, epoch), epoch, serverTime };
    return { retryInMs: ttl > 0 ? ttl : 0, serverTime };
  }

  async renew(token: string, ttlMs: number, checkWorkers = true, clusterNow?: number) {
    // A partition's lease passes its epoch key (same slot, never touched with '0'): renew-leader-2's header.
    const check = checkWorkers && this.workers !== undefined;
    const [renewed, oldest, serverTime] = await this.scripts.run<[number, number, number]>(
      'renewLeader',
      [this.keys.leader, this.workers ?? this.keys.epoch],
      [token, ttlMs, check ? '1' : '0', parseLeaderToken(token).workerId, clusterNow ?? ''],
    );
    return {
      renewed: renewed === 1,
      oldestWorkerSeen: oldest >= 0 ? oldest : null,
      serverTime: serverTime >= 0 ? serverTime : Number.NaN,
    };
  }

  async release(token: string): Promise<void> {
    await this.scripts.run('releaseLeader', [this.keys.leader], [token]);
  }

  holder(): Promise<string | null> {
    return this.client.get(this.keys.leader);
  }
}
