import type { LeadershipPort } from '../engine/coordination.port.js';
import type { RedisScripts } from './redis-scripts.js';
import type { TaskManagerKeys } from './task-manager-keys.js';
import { leaderToken, parseLeaderToken } from '../wire/leader-token.js';

/** Leader lease in Redis: SET NX PX with a fencing epoch; renewal and release are compare-and-set scripts. */
export class RedisLeadership implements LeadershipPort {
  constructor(
    private readonly scripts: RedisScripts,
    private readonly keys: TaskManagerKeys,
  ) {}

  async acquire(workerId: string, ttlMs: number) {
    const [epoch, ttl, serverTime] = await this.scripts.run<[number, number, number]>(
      'acquireLeader',
      [this.keys.leader, this.keys.epoch],
      [workerId, ttlMs],
    );
    if (epoch > 0) return { token: leaderToken(workerId, epoch), epoch, serverTime };
    return { retryInMs: ttl > 0 ? ttl : 0, serverTime };
  }

  /** With `checkWorkers`, also records the leader's worker heartbeat (its idle heartbeat is skipped while it leads). */
  readonly renewalRecordsLeader = true;

  async renew(token: string, ttlMs: number, checkWorkers = true, clusterNow?: number) {
    const [renewed, oldest, serverTime] = await this.scripts.run<[number, number, number]>(
      'renewLeader',
      [this.keys.leader, this.keys.workers],
      [token, ttlMs, checkWorkers ? '1' : '0', parseLeaderToken(token).workerId, clusterNow ?? ''],
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
}
