import type { WorkerDescription, WorkerInfo, WorkerRegistryPort, WorkerSeen } from '../engine/coordination.port.js';
import type { MemoryStore } from './memory-store.js';
import { parseLeaderToken } from '../wire/leader-token.js';

/**
 * Live workers in memory: last-seen times (also refreshed by each worker's run heartbeat) and
 * self-descriptions. The leader flag is read from the leader lease itself, so it is never stale.
 */
export class MemoryWorkers implements WorkerRegistryPort {
  constructor(private readonly store: MemoryStore) {}

  async announce(info: WorkerDescription): Promise<number> {
    this.store.workerInfo.set(info.id, { ...info });
    return this.touch(info.id);
  }

  /** Every worker, least recently seen first; a leader is one that holds a partition's lease. */
  async list(): Promise<WorkerInfo[]> {
    const leaders = new Set<string>();
    for (const part of this.store.partitions) {
      const token = part.leaderToken();
      if (token !== null) leaders.add(parseLeaderToken(token).workerId);
    }
    return this.store.workers.entries().map(({ member: id, score: lastSeen }) => ({
      host: '',
      pid: 0,
      startedAt: 0,
      running: 0,
      ...this.store.workerInfo.get(id),
      id,
      isLeader: leaders.has(id),
      lastSeen,
    }));
  }

  async lastSeen(): Promise<WorkerSeen[]> {
    return this.store.workers.entries().map(({ member, score }) => ({ id: member, lastSeen: score }));
  }

  async touch(workerId: string): Promise<number> {
    const now = this.store.now();
    this.store.workers.set(workerId, now);
    return now;
  }

  async serverTime(): Promise<number> {
    return this.store.now();
  }

  /** With several partitions, also drops the worker's task-set pointer in each (a graceful stop's). */
  async remove(workerId: string): Promise<void> {
    this.store.workers.delete(workerId);
    this.store.workerInfo.delete(workerId);
    if (this.store.partitions.length > 1)
      for (const part of this.store.partitions) part.workerTaskSets.delete(workerId);
  }

  /** Drops the workers last seen at or before `nowMs - staleMs`; returns their ids. */
  async prune(staleMs: number, nowMs: number): Promise<string[]> {
    const stale = this.store.workers.upTo(nowMs - staleMs).map(({ member }) => member);
    for (const id of stale) await this.remove(id);
    return stale;
  }
}
