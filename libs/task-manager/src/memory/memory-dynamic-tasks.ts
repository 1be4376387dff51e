import { randomUUID } from 'node:crypto';
import type {
  ChangeNotice,
  DynamicTaskPort,
  DynamicTaskSet,
  DynamicTaskCreateResult,
  DynamicTaskUpdateResult,
  ScheduleEntry,
} from '../engine/coordination.port.js';
import { definitionVersion } from '../registry/dynamic-task.js';
import type { MemoryStore } from './memory-store.js';

/**
 * Dynamic task definitions in memory (one partition's store: engine/partitioned-dynamic-tasks.ts routes over
 * several), with a generation token replaced on every change; creation and deletion notify every subscriber
 * (`tasks` notice).
 */
export class MemoryDynamicTasks implements DynamicTaskPort {
  constructor(
    private readonly store: MemoryStore,
    private readonly notice: () => ChangeNotice,
  ) {}

  /** Every definition, with the generation of {@link generation}. */
  async loadAll(): Promise<DynamicTaskSet> {
    return {
      generation: this.store.dynamicGeneration,
      tasks: [...this.store.dynamic].map(([taskId, definition]) => ({ taskId, definition })),
    };
  }

  /** The token replaced on every change of the definitions. */
  async generation(): Promise<string> {
    return this.store.dynamicGeneration;
  }

  /** Persists and schedules the task unless one with that id exists or its first slot is past (nothing changes). */
  async create(taskId: string, definition: string, entry: ScheduleEntry): Promise<DynamicTaskCreateResult> {
    const { store } = this;
    if (store.dynamic.has(taskId)) return 'exists';
    if (entry.firstSlot <= store.now()) return 'late';
    store.dynamic.set(taskId, definition);
    store.dynamicGeneration = randomUUID();
    store.schedule.set(taskId, entry.firstSlot);
    store.signatures.set(taskId, entry.signature);
    store.notify(this.notice());
    return 'created';
  }

  /** Removes the task's schedule entry, signature, state, history and definition; returns the definition. */
  async remove(taskId: string): Promise<string | null> {
    const { store } = this;
    store.schedule.delete(taskId);
    store.signatures.delete(taskId);
    store.tasks.delete(taskId);
    store.histories.delete(taskId);
    const definition = store.dynamic.get(taskId) ?? null;
    if (definition !== null) {
      store.dynamic.delete(taskId);
      store.dynamicGeneration = randomUUID();
    }
    store.notify(this.notice());
    return definition;
  }

  async read(taskId: string): Promise<string | null> {
    const { store } = this;
    return store.dynamic.get(taskId) ?? null;
  }

  /** Replaces the definition if it is still `expectedVersion`; re-plans the schedule entry on a new signature. */
  async update(
    taskId: string,
    expectedVersion: string,
    definition: string,
    entry: ScheduleEntry,
    enabled?: boolean,
  ): Promise<DynamicTaskUpdateResult> {
    const { store } = this;
    const current = store.dynamic.get(taskId);
    if (current === undefined) return 'missing';
    if (definitionVersion(current) !== expectedVersion) return 'changed';
    const replan = store.signatures.get(taskId) !== entry.signature;
    if (replan && entry.firstSlot <= store.now()) return 'late';
    store.dynamic.set(taskId, definition);
    if (replan) {
      store.schedule.set(taskId, entry.firstSlot);
      store.signatures.set(taskId, entry.signature);
    }
    if (enabled === false) store.state(taskId).disabled = true;
    else if (enabled === true && store.tasks.has(taskId)) {
      delete store.state(taskId).disabled;
      store.compactState(taskId);
    }
    store.dynamicGeneration = randomUUID();
    store.notify(this.notice());
    return 'updated';
  }
}
