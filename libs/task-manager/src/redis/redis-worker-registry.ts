import type { RedisClient } from './redis-client.js';
import type { WorkerDescription, WorkerInfo, WorkerRegistryPort } from '../engine/coordination.port.js';
import type { RedisScripts } from './redis-scripts.js';
import type { TaskManagerKeys } from './task-manager-keys.js';
import { parseLeaderToken } from '../wire/leader-token.js';
import { serverTimeMs } from '../wire/server-time.js';
import { decodeWorkerDescription, encodeWorkerDescription } from '../wire/worker-description.js';

/**
 * Live workers: a ZSET of last-seen times (server times) and a HASH of self-descriptions, both refreshed by
 * each worker's heartbeat script. The leader flag is read from the leader lease itself, so it is never stale.
 */
export class RedisWorkerRegistry implements WorkerRegistryPort {
  constructor(
    private readonly client: RedisClient,
    private readonly scripts: RedisScripts,
    private readonly keys: TaskManagerKeys,
  ) {}

  announce(info: WorkerDescription): Promise<number> {
    return this.scripts.run<number>(
      'touchWorker',
      [this.keys.workers, this.keys.workerInfo],
      [info.id, encodeWorkerDescription(info)],
    );
  }

  async serverTime(): Promise<number> {
    return serverTimeMs(await this.client.time());
  }

  async list(): Promise<WorkerInfo[]> {
    const results = (await this.client
      .pipeline()
      .zrange(this.keys.workers, 0, -1, 'WITHSCORES')
      .hgetall(this.keys.workerInfo)
      .get(this.keys.leader)
      .exec())!;
    for (const [error] of results) if (error) throw error;
    const seen = results[0][1] as string[];
    const infos = results[1][1] as Record<string, string>;
    const leaderToken = results[2][1] as string | null;
    const leaderId = leaderToken ? parseLeaderToken(leaderToken).workerId : null;
    const workers: WorkerInfo[] = [];
    for (let i = 0; i < seen.length; i += 2) {
      const id = seen[i];
      workers.push({
        host: '',
        pid: 0,
        startedAt: 0,
        running: 0,
        ...decodeWorkerDescription(infos[id]),
        id,
        isLeader: id === leaderId,
        lastSeen: Number(seen[i + 1]),
      });
    }
    return workers;
  }

  /** One ZRANGE of the last-seen times: the scores only. */
  async lastSeen(): Promise<number[]> {
    const seen = await this.client.zrange(this.keys.workers, 0, -1, 'WITHSCORES');
    const times: number[] = [];
    for (let i = 1; i < seen.length; i += 2) times.push(Number(seen[i]));
    return times;
  }

  touch(workerId: string): Promise<number> {
    return this.scripts.run<number>('touchWorker', [this.keys.workers, this.keys.workerInfo], [workerId, '']);
  }

  async remove(workerId: string): Promise<void> {
    await this.client.pipeline().zrem(this.keys.workers, workerId).hdel(this.keys.workerInfo, workerId).exec();
  }

  async prune(staleMs: number, nowMs: number): Promise<string[]> {
    const stale = await this.client.zrangebyscore(this.keys.workers, '-inf', nowMs - staleMs);
    if (stale.length > 0) {
      await this.client
        .pipeline()
        .zrem(this.keys.workers, ...stale)
        .hdel(this.keys.workerInfo, ...stale)
        .exec();
    }
    return stale;
  }
}
