import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type LoggerService,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  TASK_MANAGER_COORDINATION,
  TASK_MANAGER_LOGGER,
  TASK_MANAGER_RESOLVED_OPTIONS,
  TASK_MANAGER_WORKER,
} from '../task-manager.constants.js';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import { TaskRegistry } from '../registry/task-registry.js';
import type { ChangeNotice, CoordinationPort, WorkerDescription } from './coordination.port.js';
import { Consumer } from './consumer.js';
import { withDeadline, withTimeout } from './with-timeout.js';
import { TaskManagerEvents } from './task-manager-events.js';
import { DynamicTasks } from './dynamic-tasks.js';
import { LeaderElector } from './leader-elector.js';
import { LeaseKeeper } from './lease-keeper.js';
import { Reconciler } from './reconciler.js';
import { RunExecutor } from './run-executor.js';
import { ScheduleRegistrar } from './schedule-registrar.js';
import { Scheduler } from './scheduler.js';
import type { WorkerIdentity } from './worker-identity.js';

/** Longest wait for the first connection (e.g. Sentinel retries unreachable sentinels for ever). */
const CONNECT_DEADLINE_MS = 8_000;

/** Longest wait for one Redis step of shutdown (release, notice, deregistration). */
const SHUTDOWN_STEP_MS = 1000;

/**
 * Owns the engine's background work and its lifecycle: registers the schedule and starts the consumer,
 * the heartbeat and the election on application bootstrap; on shutdown gives leadership up first (so
 * another instance takes over at once), then drains running handlers within `shutdownTimeoutMs`, and
 * closes the Redis connections last.
 */
@Injectable()
export class TaskManagerOrchestrator
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly registrar: ScheduleRegistrar;
  private readonly scheduler: Scheduler;
  private readonly elector: LeaderElector;
  private readonly reconciler: Reconciler;
  private readonly consumer: Consumer;
  private readonly leaseKeeper: LeaseKeeper;
  /** Dynamic tasks of the cluster (created and deleted at runtime). */
  readonly dynamicTasks: DynamicTasks;
  private syncTimer?: NodeJS.Timeout;
  private started = false;
  private connecting?: Promise<void>;
  private stopping?: Promise<void>;

  constructor(
    @Inject(TASK_MANAGER_RESOLVED_OPTIONS)
    private readonly options: ResolvedTaskManagerOptions,
    @Inject(TASK_MANAGER_COORDINATION) private readonly port: CoordinationPort,
    @Inject(TASK_MANAGER_WORKER) private readonly worker: WorkerIdentity,
    @Inject(TASK_MANAGER_LOGGER) private readonly logger: LoggerService,
    private readonly registry: TaskRegistry,
    events: TaskManagerEvents,
  ) {
    const heartbeatMs = options.leaderHeartbeatInterval * 1000;
    const runHeartbeatMs = options.runningHeartbeatInterval * 1000;
    const leaseTtlMs = runHeartbeatMs * 3;
    const loseLeadership = (reason: string) => this.elector.lose(reason);
    this.registrar = new ScheduleRegistrar(port.schedule, registry);
    this.scheduler = new Scheduler(
      port.schedule,
      registry,
      {
        batchSize: 1000,
        misfireToleranceMs: options.misfireToleranceMs,
        misfireMaxRuns: options.misfireMaxRuns,
        unknownTaskPostponeMs: options.reconciliationInterval * 1000,
        // The leader wakes on due slots, change notices and restored entries; this only bounds how long a
        // change made behind its back (by hand in Redis) can go unnoticed.
        maxSleepMs: Math.max(options.reconciliationInterval * 1000, 300_000),
        errorRetryMs: Math.max(50, options.pollInterval * 1000),
      },
      loseLeadership,
      logger,
    );
    this.reconciler = new Reconciler(
      port.schedule,
      port.workers,
      this.registrar,
      {
        reconciliationMs: options.reconciliationInterval * 1000,
        workerSilentMs: runHeartbeatMs * 1.5,
        leaseTtlMs,
        staleWorkerMs: Math.max(leaseTtlMs * 2, 30_000),
        reclaimBatch: 100,
      },
      loseLeadership,
      (reclaimed) => {
        if (reclaimed.length > 0) events.emit('runs.reclaimed', { workerId: worker.id, taskIds: reclaimed });
        this.scheduler.wake();
      },
      logger,
    );
    this.elector = new LeaderElector(
      port.leadership,
      worker.id,
      { heartbeatMs, retryMs: options.leaderRetryInterval * 1000 },
      {
        onGained: (token, epoch) => {
          this.scheduler.start(token);
          this.reconciler.start(token);
          void this.reconciler.reconcile();
          events.emit('leadership.gained', { workerId: worker.id, epoch });
        },
        onLost: (reason, voluntary) => {
          this.scheduler.stop();
          this.reconciler.stop();
          events.emit('leadership.lost', { workerId: worker.id, reason, voluntary });
        },
        onRenewed: (oldestWorkerSeen) => this.reconciler.noteOldestWorker(oldestWorkerSeen),
      },
      logger,
    );
    this.consumer = new Consumer(
      port.runs,
      registry,
      new RunExecutor(worker.id),
      worker.id,
      {
        concurrency: options.concurrentTasks,
        blockMs: options.streamBlockMs,
        leaseTtlMs,
        backoff: {
          retryBackoff: options.retryBackoff,
          retryBackoffMax: options.retryBackoffMax,
          retryBackoffMultiplier: options.retryBackoffMultiplier,
        },
      },
      events,
      logger,
    );
    this.dynamicTasks = new DynamicTasks(port.dynamicTasks, registry, this.registrar, options, logger);
    this.leaseKeeper = new LeaseKeeper(
      port.runs,
      port.workers,
      () => this.describe(),
      runHeartbeatMs,
      leaseTtlMs,
      () => this.consumer.heldRuns(),
      logger,
    );
  }

  /** What this worker says of itself in the worker registry. */
  describe(): WorkerDescription {
    const { id, host, pid, startedAt } = this.worker;
    return {
      id,
      host,
      pid,
      startedAt,
      isLeader: this.elector.isLeader,
      running: this.consumer.runningCount,
    };
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  get isRunning(): boolean {
    return this.started && !this.stopping;
  }

  get runningCount(): number {
    return this.consumer.runningCount;
  }

  /**
   * Starts the engine (a Redis that cannot be reached or is too old fails the boot). With `autoStart: false`
   * (API-only instances) it only connects, and an unreachable Redis is logged, not fatal: the connection
   * keeps retrying and the management API answers 503 until it is up.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.options.autoStart) {
      await this.start();
      return;
    }
    await this.connect().catch((error: Error) =>
      this.logger.warn(`Not connected to Redis yet (${error.message}); retrying in the background`),
    );
  }

  /** Connects once (checks the Redis version, creates the consumer groups); retried after a failure. */
  private connect(): Promise<void> {
    this.connecting ??= withDeadline(
      this.port.lifecycle.connect(),
      CONNECT_DEADLINE_MS,
      `Redis unreachable: no connection within ${CONNECT_DEADLINE_MS / 1000} s`,
    ).catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  /** Connects and starts the engine (called on bootstrap unless `autoStart` is false). Idempotent. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.connect();
      await this.port.notices.subscribe((notice) => this.onNotice(notice));
      await this.dynamicTasks.sync();
      await this.registrar.registerAll();
    } catch (error) {
      // The boot fails: close the connections, or they would keep reconnecting and hold the process.
      this.started = false;
      await this.port.lifecycle.close().catch(() => undefined);
      throw error;
    }
    // Dynamic tasks follow change notices at once; this pass catches a notice missed during a disconnect.
    this.syncTimer = setInterval(() => void this.syncDynamicTasks(), this.options.reconciliationInterval * 1000);
    await this.port.workers.announce(this.describe());
    await this.port.notices.publish({
      type: 'schedule',
      origin: this.worker.id,
    });
    this.consumer.start();
    this.leaseKeeper.start();
    this.elector.start();
    this.logger.log(
      `Task manager started: worker ${this.worker.id}, ${this.registry.size} task(s), key prefix "${this.options.keyPrefix}"`,
    );
  }

  /** Asks the leader (wherever it runs) to look at the schedule now. */
  async notifyScheduleChanged(): Promise<void> {
    if (this.elector.isLeader) this.scheduler.wake();
    await this.port.notices.publish({
      type: 'schedule',
      origin: this.worker.id,
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
    await this.port.lifecycle.close();
  }

  /** Gives leadership up, stops taking runs and drains running ones within `shutdownTimeoutMs`. Idempotent. */
  stop(): Promise<void> {
    if (!this.started) return Promise.resolve();
    this.stopping ??= (async () => {
      clearInterval(this.syncTimer);
      this.scheduler.stop();
      this.reconciler.stop();
      // Each Redis step is bounded: with Redis unreachable, shutdown still completes (and skips them).
      const online = this.port.lifecycle.isHealthy();
      const step = SHUTDOWN_STEP_MS * (online ? 1 : 0);
      const released = await withTimeout(this.elector.stop(), step);
      if (released) {
        await withTimeout(this.port.notices.publish({ type: 'leader-released', origin: this.worker.id }), step);
      }
      await this.consumer.stop(this.options.shutdownTimeoutMs);
      this.leaseKeeper.stop();
      await withTimeout(this.port.workers.remove(this.worker.id), step);
    })();
    return this.stopping;
  }

  private onNotice(notice: ChangeNotice): void {
    if (notice.type === 'leader-released' && notice.origin !== this.worker.id) this.elector.poke();
    if (notice.type === 'tasks') void this.syncDynamicTasks();
    if ((notice.type === 'schedule' || notice.type === 'tasks') && this.elector.isLeader) this.scheduler.wake();
  }

  private async syncDynamicTasks(): Promise<void> {
    try {
      await this.dynamicTasks.sync();
      if (this.elector.isLeader) this.scheduler.wake();
    } catch {
      // Redis unreachable: reported by the connection layer; the next notice or pass syncs again.
    }
  }
}
