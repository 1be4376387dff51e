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
 * Dynamic task definitions in memory, with a generation token replaced on every change; creation and
 * deletion notify every subscriber (`tasks` notice).
 */
export class MemoryDynamicTasks implements DynamicTaskPort {
  constructor(
    private readonly store: MemoryStore,
    private readonly notice: () => ChangeNotice,
  ) {}

  async loadAll(): Promise<DynamicTaskSet> {
    return {
      generation: this.store.dynamicGeneration,
      tasks: [...this.store.dynamic].map(([taskId, definition]) => ({ taskId, definition })),
    };
  }

  async generation(): Promise<string> {
    return this.store.dynamicGeneration;
  }

  /** Persists and schedules the task unless one with that id exists or its first slot is past (nothing changes). */
  async create(taskId: string, definition: string, entry: ScheduleEntry): Promise<DynamicTaskCreateResult> {
    if (this.store.dynamic.has(taskId)) return 'exists';
    if (entry.firstSlot <= this.store.now()) return 'late';
    this.store.dynamic.set(taskId, definition);
    this.store.dynamicGeneration = randomUUID();
    this.store.schedule.set(taskId, entry.firstSlot);
    this.store.signatures.set(taskId, entry.signature);
    this.store.notify(this.notice());
    return 'created';
  }

  /** Removes the task's schedule entry, signature, state, history and definition; returns the definition. */
  async remove(taskId: string): Promise<string | null> {
    this.store.schedule.delete(taskId);
    this.store.signatures.delete(taskId);
    this.store.tasks.delete(taskId);
    this.store.histories.delete(taskId);
    const definition = this.store.dynamic.get(taskId) ?? null;
    if (definition !== null) {
      this.store.dynamic.delete(taskId);
      this.store.dynamicGeneration = randomUUID();
    }
    this.store.notify(this.notice());
    return definition;
  }

  async read(taskId: string): Promise<string | null> {
    return this.store.dynamic.get(taskId) ?? null;
  }

  /** Replaces the definition if it is still `expectedVersion`; re-plans the schedule entry on a new signature. */
  async update(
    taskId: string,
    expectedVersion: string,
    definition: string,
    entry: ScheduleEntry,
    enabled?: boolean,
  ): Promise<DynamicTaskUpdateResult> {
    const current = this.store.dynamic.get(taskId);
    if (current === undefined) return 'missing';
    if (definitionVersion(current) !== expectedVersion) return 'changed';
    const replan = this.store.signatures.get(taskId) !== entry.signature;
    if (replan && entry.firstSlot <= this.store.now()) return 'late';
    this.store.dynamic.set(taskId, definition);
    if (replan) {
      this.store.schedule.set(taskId, entry.firstSlot);
      this.store.signatures.set(taskId, entry.signature);
    }
    if (enabled === false) this.store.state(taskId).disabled = true;
    else if (enabled === true && this.store.tasks.has(taskId)) {
      delete this.store.state(taskId).disabled;
      this.store.compactState(taskId);
    }
    this.store.dynamicGeneration = randomUUID();
    this.store.notify(this.notice());
    return 'updated';
  }
}
