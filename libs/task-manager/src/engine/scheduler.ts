import type { LoggerService } from '@nestjs/common';
import { LeadershipLostError } from '../errors/leadership-lost.error.js';
import type { TaskRegistry } from '../registry/task-registry.js';
import { messages } from '../task-manager.messages.js';
import { ClusterClock } from './cluster-clock.js';
import type { PublishItem, SchedulePort } from './coordination.port.js';
import { realTimers, type EngineTimers, type TimerHandle } from './timers.js';
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

/** What the scheduler works with. */
export interface SchedulerDeps {
  port: SchedulePort;
  registry: TaskRegistry;
  /** A publish was fenced off: the term of `token` is over (the elector ignores an earlier term's). */
  onLeadershipLost: (reason: string, token: string) => void;
  logger: LoggerService;
  /** Slots are cluster (server) times; local timers only decide when to look. */
  clock?: ClusterClock;
  /**
   * Brings this instance's dynamic task definitions up to date when they may be stale; awaited before
   * planning a due dynamic or unknown task, so that the leader never advances a schedule with a cron that
   * was replaced (a notice missed while paused or disconnected).
   */
  refreshDefinitions?: () => Promise<void>;
  timers?: EngineTimers;
}

/**
 * The leader's loop: sleeps until the earliest due slot (a local timer, so runs start within a
 * millisecond or two of their slot), then publishes every due item through one fenced Lua call per batch.
 * Costs nothing per registered task: only due items are read.
 */
export class Scheduler {
  private token: string | null = null;
  private timer?: TimerHandle;
  private timerAt = Infinity;
  private ticking = false;
  private again = false;
  /** The next tick comes from `wake`: peek before fetching. */
  private peekFirst = false;
  private readonly port: SchedulePort;
  private readonly registry: TaskRegistry;
  private readonly onLeadershipLost: (reason: string, token: string) => void;
  private readonly logger: LoggerService;
  private readonly clock: ClusterClock;
  private readonly refreshDefinitions?: () => Promise<void>;
  private readonly timers: EngineTimers;

  constructor(
    deps: SchedulerDeps,
    private readonly settings: SchedulerSettings,
  ) {
    this.port = deps.port;
    this.registry = deps.registry;
    this.onLeadershipLost = deps.onLeadershipLost;
    this.logger = deps.logger;
    this.refreshDefinitions = deps.refreshDefinitions;
    this.timers = deps.timers ?? realTimers;
    this.clock = deps.clock ?? new ClusterClock(this.timers);
  }

  /** Starts publishing with the leader's fencing token. */
  start(token: string): void {
    this.token = token;
    this.wake();
  }

  stop(): void {
    this.token = null;
    this.clearTimer();
  }

  /**
   * Looks at the schedule now (a change notice arrived, a task was added, the reconciliation pass). A wake
   * mostly finds nothing due: it peeks at the earliest entry first, and fetches only when it is due (two reads
   * instead of four in an idle deployment's every pass: issue 14).
   */
  wake(): void {
    this.peekFirst = true;
    this.arm(this.clock.now());
  }

  /** Looks at the schedule at cluster time `at`. */
  private arm(at: number): void {
    if (!this.token) return;
    if (this.ticking) {
      if (at <= this.clock.now()) this.again = true;
      else if (at < this.timerAt) this.setTimer(at);
      return;
    }
    if (at >= this.timerAt) return;
    this.setTimer(at);
  }

  private setTimer(at: number): void {
    this.clearTimer();
    this.timerAt = at;
    this.timer = this.timers.setTimeout(
      () => {
        this.timerAt = Infinity;
        void this.tick();
      },
      Math.max(0, this.clock.until(at)),
    );
  }

  private clearTimer(): void {
    this.timers.clearTimeout(this.timer);
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
    const peekFirst = this.peekFirst;
    this.peekFirst = false;
    try {
      const now = this.clock.now();
      if (peekFirst) earliest = await this.port.peekEarliest();
      const due =
        peekFirst && (earliest === null || earliest > now)
          ? []
          : await this.port.fetchDue(now, this.settings.batchSize);
      full = due.length >= this.settings.batchSize;
      if (due.length === 0) {
        if (!peekFirst) earliest = await this.port.peekEarliest();
      } else {
        if (this.refreshDefinitions && due.some((item) => this.registry.getTask(item.taskId)?.dynamic !== false)) {
          await this.refreshDefinitions();
        }
        const items: PublishItem[] = due.map((item) => {
          const task = this.registry.getTask(item.taskId);
          return task
            ? planDueItem(task, item, now, this.settings)
            : planUnknown(item, now, this.settings.unknownTaskPostponeMs);
        });
        try {
          earliest = (await this.port.publish(token, now, items)).earliestDue;
        } catch (error) {
          // Said even when the elector already stepped down: how often a stale leader is fenced off is
          // the evidence that fencing works (test/cluster/fencing.e2e-spec.ts counts these lines).
          if (error instanceof LeadershipLostError) this.logger.warn(messages.publishFenced(token, items.length));
          throw error;
        }
      }
    } catch (error) {
      if (error instanceof LeadershipLostError) {
        this.ticking = false;
        this.onLeadershipLost(error.message, token);
        // A new term began while this call was pending: look again with its token.
        if (this.token) this.setTimer(this.clock.now());
        return;
      }
      // Redis trouble: the connection layer reports it; look again shortly.
      earliest = this.clock.now() + this.settings.errorRetryMs;
    }
    this.ticking = false;
    if (!this.token) return;
    const now = this.clock.now();
    const next = full || this.again ? now : Math.min(earliest ?? Infinity, now + this.settings.maxSleepMs);
    this.setTimer(Math.min(next, this.timerAt));
  }
}
