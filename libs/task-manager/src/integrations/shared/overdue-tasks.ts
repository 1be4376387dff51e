import type { TaskManagerConfig } from '../../options/task-manager-config.js';
import type { TaskView } from '../../task-manager.service.js';

/** An enabled task whose next slot passed by more than the tolerance without being published. */
export interface OverdueTask {
  readonly groupName: string;
  readonly taskName: string;
  /** The slot that should have been published (ms since the epoch). */
  readonly nextRun: number;
  /** How far behind it is: now − slot, in milliseconds. */
  readonly lateMs: number;
}

/**
 * Default tolerance before a slot counts as overdue: the larger of `misfireToleranceMs` and two leader
 * heartbeats. The leader publishes a slot within milliseconds and then moves the task's schedule entry to
 * its next slot, so an entry this far in the past means nobody is publishing (no leader, or a stuck one).
 */
export function defaultOverdueToleranceMs(options: TaskManagerConfig): number {
  return Math.max(options.misfireToleranceMs, 2 * options.leaderHeartbeatInterval * 1000);
}

/**
 * Longest time a healthy deployment goes without a leader: the lease lives 3 heartbeats after the last
 * renewal of a dead leader, plus a second for a follower to take it.
 */
export function failoverBoundMs(options: TaskManagerConfig): number {
  return options.leaderHeartbeatInterval * 3 * 1000 + 1000;
}

/**
 * Tasks whose schedule entry lies more than `toleranceMs` in the past (the "cron silently stopped" failure),
 * most late first. Disabled tasks and tasks without a schedule entry are never overdue.
 */
export function findOverdueTasks(views: readonly TaskView[], nowMs: number, toleranceMs: number): OverdueTask[] {
  const overdue: OverdueTask[] = [];
  for (const { task, state } of views) {
    if (state.disabled || state.nextRun === null) continue;
    const lateMs = nowMs - state.nextRun;
    if (lateMs > toleranceMs) {
      overdue.push({ groupName: task.groupName, taskName: task.name, nextRun: state.nextRun, lateMs });
    }
  }
  return overdue.sort((a, b) => b.lateMs - a.lateMs);
}
