import type { LoggerService } from '@nestjs/common';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import type { TaskRegistry } from '../registry/task-registry.js';
import { ClusterClock } from './cluster-clock.js';
import { Consumer } from './consumer.js';
import type { CoordinationPort, WorkerDescription } from './coordination.port.js';
import { DynamicTasks } from './dynamic-tasks.js';
import { engineSettings, type EngineSettings } from './engine-settings.js';
import { EventLoopWatch } from './event-loop-watch.js';
import { ExhaustedRuns } from './exhausted-runs.js';
import { Heartbeat } from './heartbeat.js';
import { InLoopHeartbeat } from './in-loop-heartbeat.js';
import { LeaseBalancer } from './lease-balancer.js';
import { LeaseKeeper } from './lease-keeper.js';
import type { OrphanSweeper } from './orphan-sweeper.js';
import { PartitionLeader } from './partition-leader.js';
import { RunExecutor } from './run-executor.js';
import { ScheduleRegistrar } from './schedule-registrar.js';
import type { TaskManagerEvents } from './task-manager-events.js';
import { realTimers, type EngineTimers } from './timers.js';
import type { WorkerIdentity } from './worker-identity.js';
import { WorkerWatch } from './worker-watch.js';

/**
 * The engine's loops of one instance, built from the options and wired to each other: the leader's, per
 * partition (`PartitionLeader`: election, scheduler, reconciler, sweep of tasks removed from the code), the
 * worker's (consumer, lease keeper) and what they share (the cluster clock, the schedule registrar). The
 * orchestrator owns their lifecycle.
 */
export class EngineParts {
  /** The cluster's clock (Redis TIME, estimated from replies): every cluster-wide time decision uses it. */
  readonly clock: ClusterClock;
  readonly registrar: ScheduleRegistrar;
  /** The leader's loops of each partition of the deployment. */
  readonly leaders: readonly PartitionLeader[];
  /** With several partitions: the watch that keeps this instance's share of their leases. */
  readonly workerWatch?: WorkerWatch;
  readonly consumer: Consumer;
  readonly leaseKeeper: LeaseKeeper;
  readonly loopWatch: EventLoopWatch;
  readonly dynamicTasks: DynamicTasks;
  /** Every duration and bound, derived once from the options. */
  readonly settings: EngineSettings;

  constructor(
    options: ResolvedTaskManagerOptions,
    port: CoordinationPort,
    private readonly worker: WorkerIdentity,
    registry: TaskRegistry,
    events: TaskManagerEvents,
    logger: LoggerService,
    /** The local time source of every loop (a fake one drives the whole engine in tests). */
    readonly timers: EngineTimers = realTimers,
  ) {
    this.clock = new ClusterClock(timers);
    const settings = (this.settings = engineSettings(options));
    const { clock } = this;
    const exhaustedRuns = new ExhaustedRuns(
      port.runs,
      registry,
      worker.id,
      settings.consumer.backoff,
      clock,
      events,
      logger,
    );
    // Before planning or accepting a run of a dynamic task, the definitions held here are brought up to date
    // when they may be stale (a notice missed while paused or disconnected).
    const refreshDefinitions = () => this.dynamicTasks.ensureCurrent();
    // A run put back for later by a worker (busy, unknown task, a retry) is on the one-off queue: the leader
    // looks again (at once when it runs here; else told by a notice), or it could sleep until maxSleepMs.
    // (With several partitions, the run's may be led elsewhere: unless every one is led here, others are told.)
    const runsDeferred = () => {
      for (const leader of this.leaders) leader.wake();
      if (!this.leaders.every((leader) => leader.isLeader))
        void port.notices.publish({ type: 'schedule', origin: worker.id }).catch(() => undefined);
    };
    this.registrar = new ScheduleRegistrar(port.schedule, registry, clock);
    const balancer =
      port.partitions.length > 1
        ? new LeaseBalancer({ partitions: port.partitions.length, ...settings.leaseBalancer })
        : undefined;
    // The leader's loops of each partition.
    this.leaders = port.partitions.map(
      (partition) =>
        new PartitionLeader(
          {
            partition,
            port,
            registry,
            registrar: this.registrar,
            workerId: worker.id,
            events,
            exhaustedRuns,
            refreshDefinitions,
            logger,
            clock,
            timers,
            balancer,
            leaseFreed: () => this.workerWatch?.reconsiderIfRoom(),
            refreshLive: () => this.workerWatch?.refresh(),
          },
          settings,
        ),
    );
    if (balancer)
      this.workerWatch = new WorkerWatch(
        {
          workers: port.workers,
          notices: port.notices,
          balancer,
          leaders: () => this.leaders,
          workerId: worker.id,
          logger,
          clock,
          timers,
        },
        settings.workerWatch,
      );
    // What every loop of this instance shares.
    const shared = { logger, clock, timers };
    this.consumer = new Consumer(
      {
        ...shared,
        port: port.runs,
        registry,
        executor: new RunExecutor({ ...shared, workerId: worker.id }),
        workerId: worker.id,
        events,
        heldChanged: () => this.leaseKeeper.refresh(),
        heldReleased: () => this.leaseKeeper.refreshSoon(),
        refreshDefinitions,
        runsDeferred,
        readRetryAfter: async (taskId) => (await port.state.readStates([taskId]))[0]?.retryAfter ?? null,
      },
      settings.consumer,
    );
    this.dynamicTasks = new DynamicTasks(port.dynamicTasks, registry, this.registrar, options, logger, () =>
      clock.now(),
    );
    const { intervalMs: runHeartbeatMs, leaseTtlMs, leaderCoversIdleBeat } = settings.leaseKeeper;
    const leaderCovers =
      leaderCoversIdleBeat && port.partitions.every((partition) => partition.leadership.renewalRecordsLeader === true);
    const heartbeat =
      port.heartbeatThread?.({ intervalMs: runHeartbeatMs, leaseTtlMs, leaderCovers }) ??
      new InLoopHeartbeat(
        new Heartbeat(port.runs, port.workers, leaseTtlMs, timers, leaderCovers),
        runHeartbeatMs,
        timers,
      );
    this.leaseKeeper = new LeaseKeeper(
      { ...shared, transport: heartbeat, describe: () => this.describe(), held: () => this.consumer.heldRuns() },
      settings.leaseKeeper,
    );
    this.loopWatch = new EventLoopWatch(settings.loopWatch, (ms) => this.blockedMessage(ms), logger, timers);
  }

  /** Whether this instance leads a partition. */
  get isLeader(): boolean {
    return this.leaders.some((leader) => leader.isLeader);
  }

  /** The partitions this instance leads, by index. */
  get ledPartitions(): number[] {
    return this.leaders.flatMap((leader, index) => (leader.isLeader ? [index] : []));
  }

  /** Where this instance declares its static task set (and partition 0's sweep). */
  get sweeper(): OrphanSweeper {
    return this.leaders[0].sweeper;
  }

  /** What this worker says of itself in the worker registry. */
  describe(): WorkerDescription {
    const { id, host, pid, startedAt } = this.worker;
    return { id, host, pid, startedAt, isLeader: this.isLeader, running: this.consumer.runningCount };
  }

  /** The warning for an event loop blocked `blockedMs`. */
  private blockedMessage(blockedMs: number): string {
    const running = this.consumer
      .heldRuns()
      .filter((h) => h.started)
      .map((h) => `${h.run.taskId}@${h.run.slot}`);
    const leases = this.leaseKeeper.offThread
      ? 'Run leases were kept by the heartbeat thread, but a blocked leader can neither renew its lease nor ' +
        'publish: another instance may have taken the lead.'
      : 'Run leases could not be renewed meanwhile: runs held here may have been taken over and run elsewhere too.';
    const during = running.length > 0 ? ` while running ${running.join(', ')}` : '';
    return (
      `The event loop was blocked for ${blockedMs} ms${during}. ${leases} ` +
      'Move CPU-bound work off the event loop (worker_threads, a child process).'
    );
  }
}
