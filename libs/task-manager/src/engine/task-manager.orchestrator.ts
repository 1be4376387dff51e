import {
  Inject,
  Injectable,
  Optional,
  type BeforeApplicationShutdown,
  type LoggerService,
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
import type { CoordinationPort, WorkerDescription } from './coordination.port.js';
import type { DynamicTasks } from './dynamic-tasks.js';
import { EngineParts } from './engine-parts.js';
import { EngineSequence } from './engine-sequence.js';
import type { EngineSettings } from './engine-settings.js';
import { TaskManagerEvents } from './task-manager-events.js';
import { TASK_MANAGER_TIMERS, type EngineTimers } from './timers.js';
import type { WorkerIdentity } from './worker-identity.js';

/**
 * The engine of this instance in the Nest lifecycle: builds its parts (EngineParts) and the order in which
 * they start and stop (EngineSequence). Started by `EngineStartup` on application bootstrap, once Redis
 * answers; on shutdown gives leadership up first (so another instance takes over at once), then drains
 * running handlers within `shutdownTimeoutMs`, and closes the Redis connections last.
 */
@Injectable()
export class TaskManagerOrchestrator implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly parts: EngineParts;
  private readonly sequence: EngineSequence;
  /** Dynamic tasks of the cluster (created and deleted at runtime). */
  readonly dynamicTasks: DynamicTasks;

  constructor(
    @Inject(TASK_MANAGER_RESOLVED_OPTIONS) options: ResolvedTaskManagerOptions,
    @Inject(TASK_MANAGER_COORDINATION) private readonly port: CoordinationPort,
    @Inject(TASK_MANAGER_WORKER) worker: WorkerIdentity,
    @Inject(TASK_MANAGER_LOGGER) logger: LoggerService,
    registry: TaskRegistry,
    events: TaskManagerEvents,
    @Optional() @Inject(TASK_MANAGER_TIMERS) timers?: EngineTimers,
  ) {
    this.parts = new EngineParts(options, port, worker, registry, events, logger, timers);
    this.dynamicTasks = this.parts.dynamicTasks;
    this.sequence = new EngineSequence(
      { parts: this.parts, port, worker, registry, options, logger },
      this.parts.settings.lifecycle,
    );
  }

  /** The engine's durations and bounds. */
  get settings(): EngineSettings {
    return this.parts.settings;
  }

  /** The engine's local time source. */
  get timers(): EngineTimers {
    return this.parts.timers;
  }

  /** What this worker says of itself in the worker registry. */
  describe(): WorkerDescription {
    return this.parts.describe();
  }

  /** The cluster time now (ms): Redis TIME as estimated by this instance. */
  clusterNow(): number {
    return this.parts.clock.now();
  }

  get isLeader(): boolean {
    return this.parts.isLeader;
  }

  /** The partitions whose lease this instance holds, by index ([0] for the leader of a single partition). */
  get ledPartitions(): number[] {
    return this.parts.ledPartitions;
  }

  get isRunning(): boolean {
    return this.sequence.isRunning;
  }

  get runningCount(): number {
    return this.parts.consumer.runningCount;
  }

  /** Why this instance is unhealthy although it runs (e.g. a foreign consumer group appeared), if it is. */
  get problem(): string | undefined {
    return this.sequence.problem;
  }

  /**
   * Connects once (checks the Redis version, creates the consumer groups); may be called again after a
   * failure. Used alone by API-only instances (`autoStart: false`).
   * @throws RedisUnreachableError, TaskManagerConfigurationError (Redis too old, topology mismatch, a foreign
   * consumer group)
   */
  connect(): Promise<void> {
    return this.sequence.connect();
  }

  /**
   * Connects and starts the engine (`EngineStartup` calls it on bootstrap unless `autoStart` is false).
   * Idempotent; may be called again after a failure (the connections stay open and keep reconnecting: the
   * caller decides whether to retry or to close them).
   */
  start(): Promise<void> {
    return this.sequence.start();
  }

  /** Asks the leader (wherever it runs) to look at the schedule now. */
  notifyScheduleChanged(): Promise<void> {
    return this.sequence.notifyScheduleChanged();
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
    return this.sequence.stop();
  }
}
