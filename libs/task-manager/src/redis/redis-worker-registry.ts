import type { Redis } from 'ioredis';
import type {
  WorkerInfo,
  WorkerRegistryPort,
} from '../engine/coordination.port.js';
import type { TaskManagerKeys } from './task-manager-keys.js';

/** Live workers: a ZSET of last-seen times (refreshed by each worker's heartbeat script) and a HASH of descriptions. */
export class RedisWorkerRegistry implements WorkerRegistryPort {
  constructor(
    private readonly client: Redis,
    private readonly keys: TaskManagerKeys,
  ) {}

  async announce(info: Omit<WorkerInfo, 'lastSeen'>): Promise<void> {
    await this.client
      .pipeline()
      .hset(this.keys.workerInfo, info.id, JSON.stringify(info))
      .zadd(this.keys.workers, Date.now(), info.id)
      .exec();
  }

  async list(): Promise<WorkerInfo[]> {
    const [[, seen], [, infos]] = (await this.client
      .pipeline()
      .zrange(this.keys.workers, 0, -1, 'WITHSCORES')
      .hgetall(this.keys.workerInfo)
      .exec())! as [[null, string[]], [null, Record<string, string>]];
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
        ...info,
        id,
        lastSeen: Number(seen[i + 1]),
      });
    }
    return workers;
  }

  async remove(workerId: string): Promise<void> {
    await this.client
      .pipeline()
      .zrem(this.keys.workers, workerId)
      .hdel(this.keys.workerInfo, workerId)
      .exec();
  }

  async prune(staleMs: number, nowMs: number): Promise<string[]> {
    const stale = await this.client.zrangebyscore(
      this.keys.workers,
      '-inf',
      nowMs - staleMs,
    );
    for (const id of stale) await this.remove(id);
    return stale;
  }
}
