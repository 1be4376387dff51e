import type { LoggerService } from '@nestjs/common';
import { LeadershipLostError } from '../errors/leadership-lost.error.js';
import type { TaskRegistry } from '../registry/task-registry.js';
import { taskSetDigest } from '../wire/task-set-digest.js';
import type { TaskSetPort } from './coordination.port.js';
import { realTimers, type EngineTimers, type TimerHandle } from './timers.js';

/** Settings of the sweep, in milliseconds. */
export interface OrphanSweeperSettings {
  /** Time between two sweep steps of the leader. */
  intervalMs: number;
  /** Time between the last step of a pass (over the whole schedule) and the first step of the next one. */
  passPauseMs: number;
  /** How long a task declared by no live instance is kept. */
  graceMs: number;
  /** Schedule entries looked at per step. */
  batch: number;
}

/** What the sweeper works with. */
export interface OrphanSweeperDeps {
  /** The deployment's task sets: where this instance declares its set. */
  port: Pick<TaskSetPort, 'declare'>;
  /** The partition whose schedule the leader sweeps. */
  partition: Pick<TaskSetPort, 'sweep'>;
  registry: TaskRegistry;
  workerId: string;
  /** A step was fenced off: the term of `token` is over (the elector ignores an earlier term's). */
  onLeadershipLost: (reason: string, token: string) => void;
  logger: LoggerService;
  timers?: EngineTimers;
}

/**
 * Schedule entries of static tasks removed from the code. Every instance declares its static task set (at
 * start and at every pass, one cheap call); the leader sweeps the schedule a batch per interval, following
 * a cursor, and removes what no live instance has declared for the grace period. An instance still running
 * the old code (rolling deploy) keeps its tasks; an older library version that declares nothing keeps every
 * task. Work per step is bounded, whatever the number of tasks.
 */
export class OrphanSweeper {
  private token: string | null = null;
  private cursor = '0';
  private timer?: TimerHandle;
  private declared?: { digest: string; taskIds: string[] };
  private readonly port: Pick<TaskSetPort, 'declare'>;
  private readonly partition: Pick<TaskSetPort, 'sweep'>;
  private readonly registry: TaskRegistry;
  private readonly workerId: string;
  private readonly onLeadershipLost: (reason: string, token: string) => void;
  private readonly logger: LoggerService;
  private readonly timers: EngineTimers;

  constructor(
    deps: OrphanSweeperDeps,
    private readonly settings: OrphanSweeperSettings,
  ) {
    this.port = deps.port;
    this.partition = deps.partition;
    this.registry = deps.registry;
    this.workerId = deps.workerId;
    this.onLeadershipLost = deps.onLeadershipLost;
    this.logger = deps.logger;
    this.timers = deps.timers ?? realTimers;
  }

  /** Declares this instance's static tasks (they are fixed once the application is bootstrapped). */
  async declare(): Promise<void> {
    if (!this.declared) {
      const taskIds = this.registry
        .listTasks()
        .filter((task) => !task.dynamic)
        .map((task) => task.id)
        .sort();
      this.declared = { digest: taskSetDigest(taskIds), taskIds };
    }
    await this.port.declare(this.workerId, this.declared.digest, this.declared.taskIds);
  }

  /**
   * Sweeps with the leader's fencing token, one step per interval, and a pause before each pass (a new
   * leader starts a new pass once the pause is over).
   */
  start(token: string): void {
    this.stop();
    this.token = token;
    this.next(this.settings.passPauseMs);
  }

  stop(): void {
    this.token = null;
    this.cursor = '0';
    this.timers.clearTimeout(this.timer);
  }

  private next(delayMs: number): void {
    const token = this.token;
    this.timer = this.timers.setTimeout(async () => {
      await this.sweep();
      // (A pass ended when the cursor is back at the start.)
      if (this.token === token) this.next(this.cursor === '0' ? this.settings.passPauseMs : this.settings.intervalMs);
    }, delayMs);
  }

  /** One step of the sweep; returns the ids of the tasks removed. */
  async sweep(): Promise<string[]> {
    const token = this.token;
    if (!token) return [];
    try {
      const { cursor, removed } = await this.partition.sweep(
        token,
        this.settings.graceMs,
        this.cursor,
        this.settings.batch,
      );
      if (this.token === token) this.cursor = cursor;
      if (removed.length > 0) {
        this.logger.warn(
          `Removed ${removed.length} task(s) that no live instance has declared for ${this.settings.graceMs / 1000} s ` +
            `(removed from the code): ${removed.slice(0, 5).join(', ')}${removed.length > 5 ? ', …' : ''}`,
        );
      }
      return removed;
    } catch (error) {
      if (error instanceof LeadershipLostError) this.onLeadershipLost(error.message, token);
      // Other errors: Redis trouble, reported by the connection layer; the next step tries again.
      return [];
    }
  }
}
