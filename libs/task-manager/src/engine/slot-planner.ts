import type { DueItem, PublishItem } from './coordination.port.js';
import type { TaskDefinition } from '../registry/task-definition.js';

/** What the planner needs besides the task. */
export interface PlannerSettings {
  /** A slot older than this when seen counts as missed. */
  misfireToleranceMs: number;
  /** Most runs `runAll` publishes at once. */
  misfireMaxRuns: number;
}

/**
 * Decides what the leader publishes for one due item: the runs (per the misfire policy when the slot was
 * missed) and the task's next slot. Pure: no I/O, so it is unit-tested directly.
 */
export function planDueItem(task: TaskDefinition, due: DueItem, nowMs: number, settings: PlannerSettings): PublishItem {
  const base = {
    due,
    highPriority: task.highPriority,
    allowParallel: task.allowParallel,
  };
  if (due.source === 'oneOff') {
    return {
      ...base,
      nextSlot: 0,
      slots: [due.slot],
      attempt: due.attempt,
      kind: due.kind,
    };
  }
  if (due.slot >= nowMs - settings.misfireToleranceMs) {
    return {
      ...base,
      nextSlot: task.schedule.nextAfterSlot(due.slot),
      slots: [due.slot],
      attempt: 1,
      kind: 'scheduled',
    };
  }
  // Missed: nobody published this slot in time (no leader, or Redis unreachable).
  const nextSlot = task.schedule.nextAfter(nowMs);
  switch (task.misfirePolicy) {
    case 'skip':
      return { ...base, nextSlot, slots: [], attempt: 1, kind: 'misfire' };
    case 'runAll':
      return {
        ...base,
        nextSlot,
        slots: task.schedule.latestSlots(due.slot, nowMs, settings.misfireMaxRuns),
        attempt: 1,
        kind: 'misfire',
      };
    default:
      return {
        ...base,
        nextSlot,
        slots: task.schedule.latestSlots(due.slot, nowMs, 1),
        attempt: 1,
        kind: 'misfire',
      };
  }
}

/** Item that drops or postpones a due entry of a task this instance does not know (e.g. mid rolling deploy). */
export function planUnknown(due: DueItem, nowMs: number, postponeMs: number): PublishItem {
  return {
    due,
    nextSlot: nowMs + postponeMs,
    slots: [],
    highPriority: false,
    allowParallel: true,
    attempt: 1,
    kind: 'scheduled',
  };
}
