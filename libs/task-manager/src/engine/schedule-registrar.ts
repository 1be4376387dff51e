import type { TaskRegistry } from '../registry/task-registry.js';
import type { TaskDefinition } from '../registry/task-definition.js';
import type { CronSchedule } from '../cron/cron-schedule.js';
import { ClusterClock } from './cluster-clock.js';
import type { ScheduleEntry, SchedulePort } from './coordination.port.js';

/** Signature of a task's schedule: a change of expression or time zone resets its next slot. */
export function scheduleSignature(task: TaskDefinition): string {
  return `${task.expression}|${task.timeZone}`;
}

/**
 * Puts tasks on the shared schedule: a task already there with the same signature keeps its slot; a new
 * task's first run is its first cron slot after now (never "at once").
 */
export class ScheduleRegistrar {
  constructor(
    private readonly schedule: SchedulePort,
    private readonly registry: TaskRegistry,
    /** First slots follow the cluster clock (server time), not this host's. */
    private readonly clock = new ClusterClock(),
    /** Only the tasks of one partition (its leader's registrar, with several); all of them when absent. */
    private readonly belongs?: (taskId: string) => boolean,
  ) {}

  entryOf(task: TaskDefinition, nowMs = this.clock.now(), firstSlots?: Map<CronSchedule, number>): ScheduleEntry {
    let firstSlot = firstSlots?.get(task.schedule);
    if (firstSlot === undefined) {
      firstSlot = task.schedule.nextAfter(nowMs);
      firstSlots?.set(task.schedule, firstSlot);
    }
    return {
      taskId: task.id,
      signature: scheduleSignature(task),
      firstSlot,
      dynamic: task.dynamic,
      version: task.definitionVersion,
      ...(task.declaredDisabled ? { disabled: true } : {}),
    };
  }

  /**
   * The entry of `task` planned again after the store refused `refused` as already past (a request that
   * reached it late): the first slot after the cluster time now, and after the refused slot, so that a clock
   * estimate running behind the server still moves forward on every attempt.
   */
  entryAfter(task: TaskDefinition, refused: ScheduleEntry): ScheduleEntry {
    return this.entryOf(task, Math.max(this.clock.now(), refused.firstSlot));
  }

  /** Registers every task of the registry; returns how many entries were created or replaced. */
  registerAll(): Promise<number> {
    return this.register(this.tasks());
  }

  /** Registers `tasks` (first slots computed once per distinct schedule). */
  register(tasks: TaskDefinition[]): Promise<number> {
    const now = this.clock.now();
    const firstSlots = new Map<CronSchedule, number>();
    return this.schedule.register(tasks.map((task) => this.entryOf(task, now, firstSlots)));
  }

  /** Whether some registered task is missing from the schedule (one cheap count, e.g. after FLUSHALL). */
  async anyMissing(): Promise<boolean> {
    return (await this.schedule.count()) < (this.belongs ? this.tasks().length : this.registry.size);
  }

  /** The registry's tasks this registrar registers. */
  private tasks(): TaskDefinition[] {
    const { belongs } = this;
    const all = this.registry.listTasks();
    return belongs ? all.filter((task) => belongs(task.id)) : all;
  }
}
