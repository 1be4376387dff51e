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
  if (due.source === 'oneOff') return item(task, due, 0, [due.slot], due.attempt, due.kind);
  if (due.slot >= nowMs - settings.misfireToleranceMs)
    return item(task, due, task.schedule.nextAfterSlot(due.slot), [due.slot], 1, 'scheduled');
  // Missed: nobody published this slot in time (no leader, or Redis unreachable).
  const nextSlot = task.schedule.nextAfter(nowMs);
  switch (task.misfirePolicy) {
    case 'skip':
      return item(task, due, nextSlot, [], 1, 'misfire');
    case 'runAll':
      return item(
        task,
        due,
        nextSlot,
        task.schedule.latestSlots(due.slot, nowMs, settings.misfireMaxRuns),
        1,
        'misfire',
      );
    default:
      return item(task, due, nextSlot, task.schedule.latestSlots(due.slot, nowMs, 1), 1, 'misfire');
  }
}

/**
 * A publish item of `task`, built as one literal (one object shape for every item; the leader plans one per
 * due run, and spreading a shared base object cost more than the plan itself).
 */
function item(
  task: TaskDefinition,
  due: DueItem,
  nextSlot: number,
  slots: number[],
  attempt: number,
  kind: PublishItem['kind'],
): PublishItem {
  return {
    due,
    highPriority: task.highPriority,
    allowParallel: task.allowParallel,
    nextSlot,
    slots,
    attempt,
    kind,
  };
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
