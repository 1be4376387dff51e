import type { RedisClient } from './redis-client.js';
import type { WorkerDescription, WorkerInfo, WorkerRegistryPort, WorkerSeen } from '../engine/coordination.port.js';
import type { RedisScripts } from './redis-scripts.js';
import type { TaskManagerKeys } from './task-manager-keys.js';
import { parseLeaderToken } from '../wire/leader-token.js';
import { serverTimeMs } from '../wire/server-time.js';
import { decodeWorkerDescription, encodeWorkerDescription } from '../wire/worker-description.js';

/** What a listing reads: the last-seen times (id, score, …), the descriptions, the ids of the lease holders. */
type ListReads = [string[], Record<string, string>, Set<string>];

/** The worker ids of the lease tokens found (null: no lease). */
function leaderIdsOf(tokens: ReadonlyArray<string | null>): Set<string> {
  const ids = new Set<string>();
  for (const token of tokens) if (token) ids.add(parseLeaderToken(token).workerId);
  return ids;
}

/**
 * Live workers: a ZSET of last-seen times (server times) and a HASH of self-descriptions, both refreshed by
 * each worker's heartbeat script. The leader flag is read from the leader lease itself, so it is never stale
 * (with several partitions: a worker holding any partition's lease is a leader).
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
    const [seen, infos, leaderIds] =
      this.keys.partitions === 1 ? await this.readOne() : await this.readPartitioned(this.keys.partitions);
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
        isLeader: leaderIds.has(id),
        lastSeen: Number(seen[i + 1]),
      });
    }
    return workers;
  }

  /** One pipeline: the registry and the lease (one slot). */
  private async readOne(): Promise<ListReads> {
    const results = (await this.client
      .pipeline()
      .zrange(this.keys.workers, 0, -1, 'WITHSCORES')
      .hgetall(this.keys.workerInfo)
      .get(this.keys.leader)
      .exec())!;
    for (const [error] of results) if (error) throw error;
    return [
      results[0][1] as string[],
      results[1][1] as Record<string, string>,
      leaderIdsOf([results[2][1] as string | null]),
    ];
  }

  /** The registry's pipeline and each partition's lease (each in its own slot), at once: a leader holds ≥ 1. */
  private async readPartitioned(partitions: number): Promise<ListReads> {
    const [results, ...tokens] = await Promise.all([
      this.client.pipeline().zrange(this.keys.workers, 0, -1, 'WITHSCORES').hgetall(this.keys.workerInfo).exec(),
      ...Array.from({ length: partitions }, (_, i) => this.client.get(this.keys.partition(i).leader)),
    ]);
    for (const [error] of results!) if (error) throw error;
    return [results![0][1] as string[], results![1][1] as Record<string, string>, leaderIdsOf(tokens)];
  }

  /** One ZRANGE of the last-seen times (no descriptions). */
  async lastSeen(): Promise<WorkerSeen[]> {
    const seen = await this.client.zrange(this.keys.workers, 0, -1, 'WITHSCORES');
    const workers: WorkerSeen[] = [];
    for (let i = 0; i < seen.length; i += 2) workers.push({ id: seen[i], lastSeen: Number(seen[i + 1]) });
    return workers;
  }

  touch(workerId: string): Promise<number> {
    return this.scripts.run<number>('touchWorker', [this.keys.workers, this.keys.workerInfo], [workerId, '']);
  }

  /** With several partitions, also drops the worker's task-set pointer in each (a graceful stop's). */
  async remove(workerId: string): Promise<void> {
    const registry = this.client
      .pipeline()
      .zrem(this.keys.workers, workerId)
      .hdel(this.keys.workerInfo, workerId)
      .exec();
    if (this.keys.partitions === 1) {
      await registry;
      return;
    }
    await Promise.all([
      registry,
      ...Array.from({ length: this.keys.partitions }, (_, i) =>
        this.client.hdel(this.keys.partition(i).workerTaskSets, workerId),
      ),
    ]);
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
