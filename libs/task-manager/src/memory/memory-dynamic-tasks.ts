import type { ChangeNotice, DynamicTaskPort, ScheduleEntry } from '../engine/coordination.port.js';
import type { MemoryStore } from './memory-store.js';

/** Dynamic task definitions in memory; creation and deletion notify every subscriber (`tasks` notice). */
export class MemoryDynamicTasks implements DynamicTaskPort {
  constructor(
    private readonly store: MemoryStore,
    private readonly notice: () => ChangeNotice,
  ) {}

  async loadAll(): Promise<Array<{ taskId: string; definition: string }>> {
    return [...this.store.dynamic].map(([taskId, definition]) => ({ taskId, definition }));
  }

  /** Persists and schedules the task unless one with that id exists (then nothing changes). */
  async create(taskId: string, definition: string, entry: ScheduleEntry): Promise<boolean> {
    if (this.store.dynamic.has(taskId)) return false;
    this.store.dynamic.set(taskId, definition);
    this.store.schedule.set(taskId, entry.firstSlot);
    this.store.signatures.set(taskId, entry.signature);
    this.store.notify(this.notice());
    return true;
  }

  /** Removes the task's schedule entry, signature, state, history and definition; returns the definition. */
  async remove(taskId: string): Promise<string | null> {
    this.store.schedule.delete(taskId);
    this.store.signatures.delete(taskId);
    this.store.tasks.delete(taskId);
    this.store.histories.delete(taskId);
    const definition = this.store.dynamic.get(taskId) ?? null;
    this.store.dynamic.delete(taskId);
    this.store.notify(this.notice());
    return definition;
  }
}
