import type { SweepResult, TaskSetPort } from '../engine/coordination.port.js';
import { LeadershipLostError } from '../errors/leadership-lost.error.js';
import { OwnerStrikes } from '../engine/owner-strikes.js';
import type { MemoryStore } from './memory-store.js';

/**
 * Declared static task sets and the leader's sweep of undeclared tasks, in memory (the `declare-task-set`
 * and `sweep-orphans` scripts). The cursor is a position in the schedule, ordered by slot.
 */
export class MemoryTaskSets implements TaskSetPort {
  /** A partition's sweep forgets a missing owner at its second strike, as the Redis driver's does. */
  private readonly strikes = new OwnerStrikes();

  constructor(private readonly store: MemoryStore) {}

  async declare(workerId: string, digest: string, taskIds: string[]): Promise<void> {
    const set = this.store.taskSets.get(digest) ?? { ids: new Set<string>(), declaredAt: 0 };
    for (const id of taskIds) set.ids.add(id);
    this.store.taskSets.set(digest, set);
    // (A worker that points at the set already changes nothing: the sweep marks live workers' sets declared.)
    if (this.store.workerTaskSets.get(workerId) === digest) return;
    set.declaredAt = this.store.now();
    this.store.workerTaskSets.set(workerId, digest);
  }

  async sweep(token: string, graceMs: number, cursor: string, count: number): Promise<SweepResult> {
    const { store } = this;
    const now = store.now();
    if (store.leaderToken(now) !== token) throw new LeadershipLostError();
    const live = store.workers.entries().map(({ member }) => member);
    if (store.isPartition) {
      for (const owner of this.strikes.forget(token, store.workerTaskSets.keys(), live))
        store.workerTaskSets.delete(owner);
    } else {
      for (const worker of store.workerTaskSets.keys()) {
        if (!store.workers.has(worker)) store.workerTaskSets.delete(worker);
      }
    }
    if (live.some((worker) => !store.workerTaskSets.has(worker))) return { cursor: '0', removed: [] };
    // (A partition's pointer whose owner is missing counts until forgotten, as in sweep-partition-7.)
    const digests = new Set(store.workerTaskSets.values());
    for (const [digest, set] of store.taskSets) {
      if (digests.has(digest)) set.declaredAt = now;
      else if (now - set.declaredAt >= graceMs) store.taskSets.delete(digest);
    }
    const members = store.schedule.entries().map(({ member }) => member);
    const start = Number(cursor) || 0;
    const step = members.slice(start, start + count);
    const removed: string[] = [];
    for (const id of step) {
      const declared = store.dynamic.has(id) || [...digests].some((digest) => store.taskSets.get(digest)?.ids.has(id));
      const since = store.orphans.get(id);
      if (declared) store.orphans.delete(id);
      else if (since === undefined) store.orphans.set(id, now);
      else if (now - since >= graceMs) {
        store.schedule.delete(id);
        store.signatures.delete(id);
        store.tasks.delete(id);
        store.histories.delete(id);
        store.orphans.delete(id);
        removed.push(id);
      }
    }
    const next = start + step.length;
    if (next < members.length) return { cursor: String(next - removed.length), removed };
    for (const id of store.orphans.keys()) if (!store.schedule.has(id)) store.orphans.delete(id);
    return { cursor: '0', removed };
  }
}
