import type { LoggerService } from '@nestjs/common';
import { LeadershipLostError } from '../errors/leadership-lost.error.js';
import type { TaskRegistry } from '../registry/task-registry.js';
import type { PublishItem, SchedulePort } from './coordination.port.js';
import { planDueItem, planUnknown, type PlannerSettings } from './slot-planner.js';

/** Settings of the scheduling loop. */
export interface SchedulerSettings extends PlannerSettings {
  /** Due items fetched and published per Lua call. */
  batchSize: number;
  /** How far a due entry of an unknown task is pushed back. */
  unknownTaskPostponeMs: number;
  /** Longest sleep between two looks at the schedule. */
  maxSleepMs: number;
  /** Wait before looking again after a Redis error. */
  errorRetryMs: number;
}

/**
 * The leader's loop: sleeps until the earliest due slot (a local timer, so runs start within a
 * millisecond or two of their slot), then publishes every due item through one fenced Lua call per batch.
 * Costs nothing per registered task: only due items are read.
 */
export class Scheduler {
  private token: string | null = null;
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private ticking = false;
  private again = false;

  constructor(
    private readonly port: SchedulePort,
    private readonly registry: TaskRegistry,
    private readonly settings: SchedulerSettings,
    private readonly onLeadershipLost: (reason: string) => void,
    private readonly logger: LoggerService,
  ) {}

  /** Starts publishing with the leader's fencing token. */
  start(token: string): void {
    this.token = token;
    this.wake();
  }

  stop(): void {
    this.token = null;
    this.clearTimer();
  }

  /** Looks at the schedule now (a change notice arrived, or a task was added). */
  wake(): void {
    this.arm(Date.now());
  }

  private arm(at: number): void {
    if (!this.token) return;
    if (this.ticking) {
      if (at <= Date.now()) this.again = true;
      else if (at < this.timerAt) this.setTimer(at);
      return;
    }
    if (at >= this.timerAt) return;
    this.setTimer(at);
  }

  private setTimer(at: number): void {
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timerAt = Infinity;
        void this.tick();
      },
      Math.max(0, at - Date.now()),
    );
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private async tick(): Promise<void> {
    const token = this.token;
    if (!token || this.ticking) return;
    this.ticking = true;
    this.again = false;
    let earliest: number | null = null;
    let full = false;
    try {
      const now = Date.now();
      const due = await this.port.fetchDue(now, this.settings.batchSize);
      full = due.length >= this.settings.batchSize;
      if (due.length === 0) {
        earliest = await this.port.peekEarliest();
      } else {
        const items: PublishItem[] = due.map((item) => {
          const task = this.registry.getTask(item.taskId);
          return task
            ? planDueItem(task, item, now, this.settings)
            : planUnknown(item, now, this.settings.unknownTaskPostponeMs);
        });
        const result = await this.port.publish(token, now, items);
        earliest = result.earliestDue;
      }
    } catch (error) {
      if (error instanceof LeadershipLostError) {
        this.ticking = false;
        this.onLeadershipLost(error.message);
        return;
      }
      // Redis trouble: the connection layer reports it; look again shortly.
      earliest = Date.now() + this.settings.errorRetryMs;
    }
    this.ticking = false;
    if (!this.token) return;
    const now = Date.now();
    const next = full || this.again ? now : Math.min(earliest ?? Infinity, now + this.settings.maxSleepMs);
    this.setTimer(Math.min(next, this.timerAt));
  }
}
