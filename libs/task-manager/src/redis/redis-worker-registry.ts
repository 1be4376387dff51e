import type { RedisClient } from './redis-client.js';
import type { WorkerDescription, WorkerInfo, WorkerRegistryPort } from '../engine/coordination.port.js';
import type { TaskManagerKeys } from './task-manager-keys.js';

/**
 * Live workers: a ZSET of last-seen times and a HASH of self-descriptions, both refreshed by each worker's
 * heartbeat script. The leader flag is read from the leader lease itself, so it is never stale.
 */
export class RedisWorkerRegistry implements WorkerRegistryPort {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: TaskManagerKeys,
  ) {}

  async announce(info: WorkerDescription): Promise<void> {
    await this.client
      .pipeline()
      .hset(this.keys.workerInfo, info.id, JSON.stringify(info))
      .zadd(this.keys.workers, Date.now(), info.id)
      .exec();
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
    const leaderId = leaderToken ? leaderToken.slice(0, leaderToken.lastIndexOf('|')) : null;
    const workers: WorkerInfo[] = [];
    for (let i = 0; i < seen.length; i += 2) {
      const id = seen[i];
      let info: Partial<WorkerInfo> = {};
      try {
        info = JSON.parse(infos[id] ?? '{}');
      } catch {
        // A malformed description only loses the details, not the worker.
      }
      workers.push({
        host: '',
        pid: 0,
        startedAt: 0,
        running: 0,
        ...info,
        id,
        isLeader: id === leaderId,
        lastSeen: Number(seen[i + 1]),
      });
    }
    return workers;
  }

  async touch(workerId: string, nowMs: number): Promise<void> {
    await this.client.zadd(this.keys.workers, nowMs, workerId);
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
