import type { LoggerService } from '@nestjs/common';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import type { TaskRegistry } from '../registry/task-registry.js';
import { CLOCK_SAMPLES } from './cluster-clock.js';
import type { ChangeNotice, CoordinationPort } from './coordination.port.js';
import type { EngineParts } from './engine-parts.js';
import type { EngineLifecycleSettings } from './engine-settings.js';
import type { TimerHandle } from './timers.js';
import { withDeadline, withTimeout } from './with-timeout.js';
import type { WorkerIdentity } from './worker-identity.js';

/** What the sequence works with. */
export interface EngineSequenceDeps {
  parts: EngineParts;
  port: CoordinationPort;
  worker: WorkerIdentity;
  registry: TaskRegistry;
  options: Pick<ResolvedTaskManagerOptions, 'keyPrefix' | 'shutdownTimeoutMs'>;
  logger: LoggerService;
}

/**
 * The order in which one instance's engine starts and stops, and where change notices go. Start: connect,
 * subscribe to notices, first contact with the cluster clock, dynamic tasks, the schedule, the declared task
 * set; then the worker's loops and the election. Stop: the leader's loops, leadership (released, and said, so
 * another instance takes over at once), then the running handlers within `shutdownTimeoutMs`, the leases
 * and the worker entry, each Redis step bounded.
 */
export class EngineSequence {
  private readonly parts: EngineParts;
  private readonly port: CoordinationPort;
  private readonly worker: WorkerIdentity;
  private readonly registry: TaskRegistry;
  private readonly options: EngineSequenceDeps['options'];
  private readonly logger: LoggerService;
  private syncTimer?: TimerHandle;
  private started = false;
  private connecting?: Promise<void>;
  private stopping?: Promise<void>;
  private deploymentProblem?: string;

  constructor(
    deps: EngineSequenceDeps,
    private readonly settings: EngineLifecycleSettings,
  ) {
    this.parts = deps.parts;
    this.port = deps.port;
    this.worker = deps.worker;
    this.registry = deps.registry;
    this.options = deps.options;
    this.logger = deps.logger;
  }

  get isRunning(): boolean {
    return this.started && !this.stopping;
  }

  /** Why this instance is unhealthy although it runs (e.g. a foreign consumer group appeared), if it is. */
  get problem(): string | undefined {
    return this.deploymentProblem;
  }

  /** Connects once; may be called again after a failure. */
  connect(): Promise<void> {
    const { timers } = this.parts;
    this.connecting ??= withDeadline(
      this.port.lifecycle.connect(),
      this.settings.connectDeadlineMs,
      `Redis unreachable: no connection within ${this.settings.connectDeadlineMs / 1000} s`,
      timers,
    ).catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  /** Connects and starts the engine. Idempotent; may be called again after a failure. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { parts } = this;
    try {
      await this.connect();
      await this.port.notices.subscribe((notice) => this.onNotice(notice));
      // First contact with the cluster clock, before any slot is computed from it.
      const sentAt = parts.timers.now();
      parts.clock.observe(await this.port.workers.announce(parts.describe()), sentAt);
      await this.settleClock();
      await parts.dynamicTasks.sync();
      await parts.registrar.registerAll();
      await parts.sweeper.declare();
    } catch (error) {
      this.started = false;
      throw error;
    }
    // Dynamic tasks follow change notices at once; this pass catches a notice missed during a disconnect. The
    // static task set is declared again then too (e.g. after FLUSHALL), and the deployment checked.
    this.syncTimer = parts.timers.setInterval(() => {
      void this.syncDynamicTasks(false);
      void parts.sweeper.declare().catch(() => undefined);
      void this.checkDeployment();
    }, this.settings.syncIntervalMs);
    // (Best effort: the notice only wakes the leader early, its periodic pass looks anyway. A failure here
    // failed start() after it had marked the engine started, and its retry then returned at once: an instance
    // up with no consumer, no heartbeat and no elector — simulator seed 11828.)
    await this.port.notices
      .publish({
        type: 'schedule',
        origin: this.worker.id,
      })
      .catch(() => undefined);
    parts.consumer.start();
    parts.leaseKeeper.start();
    parts.loopWatch.start();
    // (Several partitions: the live count first, so that a new instance does not try for every lease.)
    await parts.workerWatch?.start();
    for (const leader of parts.leaders) leader.elector.start();
    this.logger.log(
      `Task manager started: worker ${this.worker.id}, ${this.registry.size} task(s), key prefix "${this.options.keyPrefix}"`,
    );
  }

  /** Asks the leader (wherever it runs) to look at the schedule now. */
  async notifyScheduleChanged(): Promise<void> {
    for (const leader of this.parts.leaders) leader.wake();
    await this.port.notices.publish({
      type: 'schedule',
      origin: this.worker.id,
    });
  }

  /** Gives leadership up, stops taking runs and drains running ones within `shutdownTimeoutMs`. Idempotent. */
  stop(): Promise<void> {
    if (!this.started) return Promise.resolve();
    const { parts } = this;
    const { timers } = parts;
    this.stopping ??= (async () => {
      timers.clearInterval(this.syncTimer);
      parts.loopWatch.stop();
      parts.workerWatch?.stop();
      for (const leader of parts.leaders) leader.stopLoops();
      // Each Redis step is bounded: with Redis unreachable, shutdown still completes (and skips them).
      const online = this.port.lifecycle.isHealthy();
      const step = this.settings.shutdownStepMs * (online ? 1 : 0);
      // (Each lease within the step: one slow release does not keep the others' from being said.)
      const released = await Promise.all(
        parts.leaders.map((leader) => withTimeout(leader.elector.stop(), step, timers)),
      ).then((all) => all.some(Boolean));
      if (released) {
        await withTimeout(this.port.notices.publish({ type: 'leader-released', origin: this.worker.id }), step, timers);
      }
      await parts.consumer.stop(this.options.shutdownTimeoutMs);
      await withTimeout(parts.leaseKeeper.stop(), step * 2, timers);
      await withTimeout(this.port.workers.remove(this.worker.id), step, timers);
    })();
    return this.stopping;
  }

  private onNotice(notice: ChangeNotice): void {
    const { leaders } = this.parts;
    if (notice.type === 'leader-released' && notice.origin !== this.worker.id) {
      for (const leader of leaders) leader.elector.poke();
      // (Several partitions: the origin stops; this instance's share of the leases grows.)
      this.parts.workerWatch?.leaving(notice.origin);
    }
    // (Several partitions: one lease free, the origin stays.)
    if (notice.type === 'lease-handed-over' && notice.origin !== this.worker.id)
      leaders[notice.partition ?? -1]?.elector.poke();
    if (notice.type === 'tasks') void this.syncDynamicTasks();
    if (notice.type === 'schedule' || notice.type === 'tasks') for (const leader of leaders) leader.wake();
  }

  /**
   * Reads the server's clock until the cluster clock's estimate rests on a full set of samples: a few round
   * trips at start-up, instead of a sample on each of the first renewals or heartbeats (an idle leader's first
   * half-minute: issue 14). A read that fails ends it: later replies carrying the time go on sampling.
   */
  private async settleClock(): Promise<void> {
    const { clock, timers } = this.parts;
    for (let read = 0; read < CLOCK_SAMPLES && !clock.settled; read++) {
      const sentAt = timers.now();
      try {
        clock.observe(await this.port.workers.serverTime(), sentAt);
      } catch {
        return;
      }
    }
  }

  /** Notes (and logs once) a problem of the deployment that appeared at runtime, e.g. a foreign consumer group. */
  private async checkDeployment(): Promise<void> {
    try {
      const problem = await this.port.lifecycle.deploymentProblem();
      if (problem && problem !== this.deploymentProblem) this.logger.error(problem);
      this.deploymentProblem = problem;
    } catch {
      // Redis unreachable: reported by the connection layer; the next pass checks again.
    }
  }

  /** Brings the dynamic tasks up to date: all of them (`fully`, on a notice), or only when they changed. */
  private async syncDynamicTasks(fully = true): Promise<void> {
    const { dynamicTasks, leaders } = this.parts;
    try {
      await (fully ? dynamicTasks.sync() : dynamicTasks.ensureCurrent());
      // (Also when nothing changed: the pass is the scheduler's net. A schedule restored after a FLUSHALL by a
      // register whose reply was lost, the command sent again and answering "0 restored", woke nothing, and
      // the leader slept on an empty peek: simulator seeds 56034, 60973, 65946, 79590, 86428.)
      for (const leader of leaders) leader.wake();
    } catch {
      // Redis unreachable: reported by the connection layer; the next notice or pass syncs again.
    }
  }
}
