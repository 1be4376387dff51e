import type { LoggerService } from '@nestjs/common';
import type { TaskRegistry } from '../registry/task-registry.js';
import type { ClusterClock } from './cluster-clock.js';
import type { CoordinationPort, PartitionPort } from './coordination.port.js';
import type { EngineSettings } from './engine-settings.js';
import type { ExhaustedRuns } from './exhausted-runs.js';
import type { AcquireGate } from './acquire-gate.js';
import { LeaderElector } from './leader-elector.js';
import type { LeaseBalancer } from './lease-balancer.js';
import { OrphanSweeper } from './orphan-sweeper.js';
import { Reconciler } from './reconciler.js';
import { ScheduleRegistrar } from './schedule-registrar.js';
import { Scheduler } from './scheduler.js';
import type { TaskManagerEvents } from './task-manager-events.js';
import type { EngineTimers } from './timers.js';

/** What the leader's loops of one partition work with. */
export interface PartitionLeaderDeps {
  /** The partition: its lease, its schedule and its sweep. */
  partition: PartitionPort;
  /**
   * The deployment's parts: workers (pruned by partition 0's reconciler), task sets (where this instance
   * declares), the partitions (how many) and which one a task belongs to.
   */
  port: Pick<CoordinationPort, 'workers' | 'taskSets' | 'partitions' | 'partitionOf'>;
  registry: TaskRegistry;
  /** The deployment's registrar: with one partition, also the partition's. */
  registrar: ScheduleRegistrar;
  workerId: string;
  events: TaskManagerEvents;
  exhaustedRuns: ExhaustedRuns;
  /** Brings the dynamic definitions held here up to date when they may be stale. */
  refreshDefinitions: () => Promise<void>;
  logger: LoggerService;
  clock: ClusterClock;
  timers: EngineTimers;
  /** This instance's share of the partition leases (several partitions); none: the only lease is always sought. */
  balancer?: LeaseBalancer;
  /** With a balancer: one of this instance's leases was lost, or an attempt did not take one. */
  leaseFreed?: () => void;
  /** With a balancer: a lease waited on is free or due to expire; the live count should be read again. */
  refreshLive?: () => void;
}

/**
 * The leader's loops of one partition, wired to each other: its election (a fenced lease of its own), the
 * scheduler that publishes its due runs, the reconciler that recovers its orphaned runs, and the sweep of its
 * schedule entries of tasks removed from the code. Each loop runs only while this instance holds the
 * partition's lease (the `partitions` option: one by default, each more with its own lease and leader).
 */
export class PartitionLeader {
  readonly scheduler: Scheduler;
  readonly reconciler: Reconciler;
  readonly sweeper: OrphanSweeper;
  readonly elector: LeaderElector;

  constructor(deps: PartitionLeaderDeps, settings: EngineSettings) {
    const { partition, port, registry, workerId, events, exhaustedRuns, refreshDefinitions } = deps;
    const shared = { logger: deps.logger, clock: deps.clock, timers: deps.timers };
    // With several partitions, a leader checks and restores its partition's entries only.
    const registrar =
      port.partitions.length === 1
        ? deps.registrar
        : new ScheduleRegistrar(
            partition.schedule,
            registry,
            deps.clock,
            (taskId) => port.partitionOf(taskId) === partition.index,
          );
    const loseLeadership = (reason: string, token: string) => this.elector.lose(reason, false, token);
    const { balancer } = deps;
    const index = partition.index;
    const gate: AcquireGate | undefined = balancer && {
      yieldMs: balancer.yieldMs,
      gate: () => balancer.gate(index),
      yieldOver: () => balancer.mayYieldTake(deps.clock.now()),
      reserve: () => balancer.reserve(index),
      settle: (acquired, nowMs) => {
        balancer.settle(index, acquired, nowMs);
        if (!acquired) deps.leaseFreed?.();
      },
      refresh: () => deps.refreshLive?.(),
    };
    this.scheduler = new Scheduler(
      { ...shared, port: partition.schedule, registry, onLeadershipLost: loseLeadership, refreshDefinitions },
      settings.scheduler,
    );
    this.reconciler = new Reconciler(
      {
        ...shared,
        schedule: partition.schedule,
        // (The registry is the deployment's: pruned once, by partition 0's leader.)
        ...(partition.index === 0 ? { workers: port.workers } : {}),
        registrar,
        onLeadershipLost: loseLeadership,
        onScheduleChanged: (reclaimed) => {
          if (reclaimed.length > 0) events.emit('runs.reclaimed', { workerId, taskIds: reclaimed });
          this.scheduler.wake();
        },
        // (Their retries are one-off runs for later.)
        onExhausted: (exhausted) => exhaustedRuns.record(exhausted).then(() => this.scheduler.wake()),
      },
      settings.reconciler,
    );
    this.sweeper = new OrphanSweeper(
      {
        ...shared,
        port: port.taskSets,
        partition: partition.taskSets,
        registry,
        workerId,
        onLeadershipLost: loseLeadership,
      },
      settings.sweeper,
    );
    this.elector = new LeaderElector(
      {
        ...shared,
        port: partition.leadership,
        workerId,
        gate,
        listener: {
          onGained: (token, epoch) => {
            this.scheduler.start(token);
            this.reconciler.start(token);
            this.sweeper.start(token);
            void this.reconciler.reconcile();
            events.emit('leadership.gained', { workerId, epoch });
          },
          onLost: (reason, voluntary) => {
            balancer?.lost(index);
            this.stopLoops();
            deps.leaseFreed?.();
            events.emit('leadership.lost', { workerId, reason, voluntary });
          },
          onRenewed: (oldestWorkerSeen) => this.reconciler.noteOldestWorker(oldestWorkerSeen),
        },
      },
      settings.election,
    );
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  /** Stops the loops that run while leading (the election goes on). */
  stopLoops(): void {
    this.scheduler.stop();
    this.reconciler.stop();
    this.sweeper.stop();
  }

  /** Looks at the schedule now, when leading. */
  wake(): void {
    if (this.elector.isLeader) this.scheduler.wake();
  }
}
