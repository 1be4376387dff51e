import type { ChangeNotice, RunRecord, TaskState, TaskStatePort } from '../engine/coordination.port.js';
import type { TaskKwargs } from '../decorators/task.decorator.js';
import type { MemoryStore } from './memory-store.js';
import { encodeOneOffEntry } from '../wire/one-off-entry.js';
import { triggerSlot } from '../wire/trigger-slot.js';

/**
 * Per-task state, history and the operations of the management API, in memory: each task's in its partition's
 * store; a change sends one notice.
 */
export class MemoryTaskState implements TaskStatePort {
  constructor(
    private readonly store: MemoryStore,
    /** The notice that wakes the leader after a change (`schedule`, from this worker). */
    private readonly notice: () => ChangeNotice,
  ) {}

  async setDisabled(taskIds: string[], disabled: boolean): Promise<void> {
    for (const id of taskIds) {
      const part = this.store.of(id);
      if (disabled) part.state(id).disabled = true;
      else if (part.tasks.has(id)) {
        delete part.state(id).disabled;
        part.compactState(id);
      }
    }
    this.store.notify(this.notice());
  }

  async resetRetry(taskIds: string[]): Promise<void> {
    for (const id of taskIds) this.clearRetry(id);
  }

  /**
   * Queues an immediate one-off run of each task (with `kwargs`, its own) and clears its backoff; the schedule
   * is untouched.
   */
  async trigger(taskIds: string[], kwargs?: TaskKwargs): Promise<void> {
    const slot = triggerSlot(this.store.now());
    for (const id of taskIds) {
      this.clearRetry(id);
      const entry = { taskId: id, slot, attempt: 1, kind: 'trigger' as const, ...(kwargs ? { kwargs } : {}) };
      this.store.of(id).oneOff.set(encodeOneOffEntry(entry), slot);
    }
    this.store.notify(this.notice());
  }

  async clearHistory(taskIds: string[]): Promise<void> {
    for (const id of taskIds) this.store.of(id).histories.delete(id);
  }

  async readStates(taskIds: string[]): Promise<TaskState[]> {
    return taskIds.map((id) => {
      const part = this.store.of(id);
      const state = part.tasks.get(id) ?? {};
      return {
        disabled: state.disabled === true,
        nextRun: part.schedule.score(id) ?? null,
        retryAfter: state.retryAfter ?? null,
        retryDelay: state.retryDelay ?? null,
        failures: state.failures ?? 0,
        runningUntil: state.runningUntil ?? null,
        lastStatus: state.lastStatus ?? null,
        lastRun: state.lastRun ?? null,
      };
    });
  }

  /** The latest `limit` entries, oldest first. */
  async readHistory(taskId: string, limit: number): Promise<RunRecord[]> {
    const records = this.store.of(taskId).history(taskId)?.records ?? [];
    return limit > 0 ? records.slice(-limit).map((record) => ({ ...record })) : [];
  }

  private clearRetry(taskId: string): void {
    const part = this.store.of(taskId);
    const state = part.tasks.get(taskId);
    if (!state) return;
    delete state.retryAfter;
    delete state.retryDelay;
    delete state.failures;
    part.compactState(taskId);
  }
}
