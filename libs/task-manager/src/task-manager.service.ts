import { Inject, Injectable } from '@nestjs/common';
import { backoffPolicyOf, nextBackoffDelay } from './engine/backoff-delay.js';
import type { CoordinationPort, RunRecord, TaskState, WorkerInfo } from './engine/coordination.port.js';
import { TaskManagerOrchestrator } from './engine/task-manager.orchestrator.js';
import type { WorkerIdentity } from './engine/worker-identity.js';
import { TaskNotFoundError } from './errors/task-not-found.error.js';
import type { TaskDefinition } from './registry/task-definition.js';
import { encodeTaskId } from './registry/task-id.js';
import { TaskRegistry, type TaskFilter, type TaskPage } from './registry/task-registry.js';
import {
  TASK_MANAGER_COORDINATION,
  TASK_MANAGER_RESOLVED_OPTIONS,
  TASK_MANAGER_WORKER,
} from './task-manager.constants.js';
import type { ResolvedTaskManagerOptions } from './options/resolved-options.js';
import { redactedConfig, type TaskManagerConfig } from './options/task-manager-config.js';
import type { CreateDynamicTaskInput, DynamicTaskRecord, UpdateDynamicTaskInput } from './registry/dynamic-task.js';
import type { RegisteredFunction, TaskGroupDefinition } from './registry/task-definition.js';
import type { TaskKwargs } from './decorators/task.decorator.js';
import { assertRunKwargs } from './registry/run-kwargs.js';
import { parseLeaderToken } from './wire/leader-token.js';
import { messages } from './task-manager.messages.js';

export type { TaskFilter, TaskPage } from './registry/task-registry.js';

/** A task with its live state. */
export interface TaskView {
  readonly task: TaskDefinition;
  readonly state: TaskState;
  /** A run holds the task's running marker right now. */
  readonly isRunning: boolean;
  /**
   * Delay (s) the next failure would apply while a failure is pending (FastAPI Task Manager's `retry_delay`),
   * else null. `state.retryDelay` is the delay the latest failure applied.
   */
  readonly nextRetryDelay: number | null;
}

/** Options of {@link TaskManagerService.trigger}. */
export interface TriggerOptions {
  /**
   * Run with these kwargs instead of the task's own (this run only, and its retries). Checked as a dynamic
   * task's kwargs are: a JSON object within `maxKwargsBytes`, and the function's kwargs DTO
   * (`@RegisterFunction({ kwargs })`) when it declares one. Recorded in the run history with the run.
   */
  kwargs?: TaskKwargs;
}

/** A task named by its group and name. */
export interface TaskRef {
  readonly groupName: string;
  readonly taskName: string;
}

/** Health of this instance. */
export interface TaskManagerHealth {
  /** Healthy: the engine runs and its backend answers (Redis, or the in-process driver). */
  readonly status: 'healthy' | 'unhealthy';
  /** The coordination backend: `redis`, or `memory` (the in-process driver, when no `redis` is configured). */
  readonly driver: 'redis' | 'memory';
  /** Whether Redis answers; always false on the in-process driver. */
  readonly redisConnected: boolean;
  /** Whether the backend answers: Redis connected, or the in-process driver open. */
  readonly backendConnected: boolean;
  readonly workerId: string;
  readonly workerStartedAt: Date;
  /** Whether this instance holds a partition's leader lease (the only one's, with one partition). */
  readonly isLeader: boolean;
  /** The partitions whose leader lease this instance holds, by index: `[0]` for the leader of one partition. */
  readonly ledPartitions: readonly number[];
  readonly running: boolean;
  /** Why the instance is unhealthy although it runs, if it is (e.g. a foreign consumer group on its streams). */
  readonly problem?: string;
}

/** The leader of one partition: the worker holding its lease, and the epoch (fencing token) of its term. */
export interface PartitionLeaderInfo {
  readonly workerId: string;
  readonly epoch: number;
}

/**
 * Programmatic access to the task manager: list tasks, act on them in bulk, manage dynamic tasks, read history,
 * health.
 *
 * One rule for the bulk actions (`disable`, `enable`, `trigger`, `resetRetry`, `clearRunHistory`): a filter
 * that matches no task throws `TaskNotFoundError` and changes nothing, as the management API answers 404. An
 * empty filter matches every task.
 */
@Injectable()
export class TaskManagerService {
  constructor(
    private readonly registry: TaskRegistry,
    private readonly orchestrator: TaskManagerOrchestrator,
    @Inject(TASK_MANAGER_COORDINATION) private readonly port: CoordinationPort,
    @Inject(TASK_MANAGER_WORKER) private readonly worker: WorkerIdentity,
    @Inject(TASK_MANAGER_RESOLVED_OPTIONS) private readonly resolvedOptions: ResolvedTaskManagerOptions,
  ) {}

  /** This instance's worker id. */
  get workerId(): string {
    return this.worker.id;
  }

  /** Starts the engine when the module was configured with `autoStart: false`. */
  start(): Promise<void> {
    return this.orchestrator.start();
  }

  /** Registered tasks matching `filter` (no Redis access). */
  listTasks(filter: TaskFilter = {}): TaskDefinition[] {
    return this.registry.listTasks(filter);
  }

  /** Tasks matching `filter` with their state (optionally one page of them: only its states are read), in one round trip. */
  async getTasks(filter: TaskFilter = {}, page: TaskPage = {}): Promise<TaskView[]> {
    return this.views(this.registry.listTasks(filter, page));
  }

  private async views(tasks: TaskDefinition[]): Promise<TaskView[]> {
    const states = await this.port.state.readStates(tasks.map((t) => t.id));
    const now = this.orchestrator.clusterNow();
    return tasks.map((task, i) => ({
      task,
      state: states[i],
      isRunning: (states[i].runningUntil ?? 0) > now,
      nextRetryDelay:
        states[i].retryDelay === null
          ? null
          : nextBackoffDelay(states[i].retryDelay, backoffPolicyOf(task, this.resolvedOptions)),
    }));
  }

  /**
   * Disables matching tasks (persisted, never expires); returns them.
   * @throws TaskNotFoundError when no task matches `filter`
   */
  async disable(filter: TaskFilter = {}): Promise<TaskRef[]> {
    return this.act(filter, (ids) => this.port.state.setDisabled(ids, true));
  }

  /**
   * Re-enables matching tasks; returns them. An enable is kept in Redis: a task declared
   * `@Task(..., { disabled: true })` stays enabled across restarts.
   * @throws TaskNotFoundError when no task matches `filter`
   */
  async enable(filter: TaskFilter = {}): Promise<TaskRef[]> {
    return this.act(filter, (ids) => this.port.state.setDisabled(ids, false));
  }

  /**
   * Runs matching tasks now (once each, besides their schedule) and clears their backoff; returns them. With
   * `options.kwargs` each run takes those kwargs instead of its task's (see {@link TriggerOptions}); the run
   * history records the run as a manual one (`kind: 'trigger'`) with them.
   * @throws TaskNotFoundError when no task matches `filter`; InvalidTaskDefinitionError, KwargsTooLargeError
   *   for invalid kwargs (nothing is triggered then)
   */
  async trigger(filter: TaskFilter = {}, options: TriggerOptions = {}): Promise<TaskRef[]> {
    const { kwargs } = options;
    if (kwargs === undefined) return this.act(filter, (ids) => this.port.state.trigger(ids));
    const tasks = this.matching(filter);
    const checked = await assertRunKwargs(kwargs, tasks, this.registry, this.resolvedOptions.maxKwargsBytes);
    return this.act(filter, (ids) => this.port.state.trigger(ids, checked), tasks);
  }

  /**
   * Clears the retry backoff of matching tasks; returns them.
   * @throws TaskNotFoundError when no task matches `filter`
   */
  async resetRetry(filter: TaskFilter = {}): Promise<TaskRef[]> {
    return this.act(filter, (ids) => this.port.state.resetRetry(ids));
  }

  /**
   * Deletes the run history of matching tasks; returns them.
   * @throws TaskNotFoundError when no task matches `filter`
   */
  async clearRunHistory(filter: TaskFilter = {}): Promise<TaskRef[]> {
    return this.act(filter, (ids) => this.port.state.clearHistory(ids));
  }

  /** @deprecated Renamed {@link TaskManagerService.clearRunHistory} (what it clears); removed in the next major. */
  clearStatistics(filter: TaskFilter = {}): Promise<TaskRef[]> {
    return this.clearRunHistory(filter);
  }

  /**
   * Run history of one task, oldest first (at most `limit` runs, the latest).
   * @throws TaskNotFoundError when no such task is registered.
   */
  async getRunHistory(groupName: string, taskName: string, limit = 10_000): Promise<RunRecord[]> {
    const id = encodeTaskId(groupName, taskName);
    if (!this.registry.getTask(id)) throw new TaskNotFoundError(`No task "${taskName}" in group "${groupName}"`);
    return this.port.state.readHistory(id, limit);
  }

  /** @deprecated Renamed {@link TaskManagerService.getRunHistory} (it returns the run history); removed in the next major. */
  getStatistics(groupName: string, taskName: string, limit = 10_000): Promise<RunRecord[]> {
    return this.getRunHistory(groupName, taskName, limit);
  }

  /** Task groups matching `filter` (exact name and/or tag), with their number of tasks. */
  listGroups(filter: { name?: string; tag?: string } = {}): Array<{ group: TaskGroupDefinition; taskCount: number }> {
    return this.registry
      .listGroups()
      .filter(
        (g) =>
          (filter.name === undefined || g.name === filter.name) &&
          (filter.tag === undefined || g.tags.includes(filter.tag)),
      )
      .map((group) => ({ group, taskCount: this.registry.listTasks({ groupName: group.name }).length }));
  }

  /** Functions registered for dynamic tasks, optionally of one group. */
  listFunctions(groupName?: string): RegisteredFunction[] {
    return this.registry.listFunctions(groupName);
  }

  /**
   * Creates a dynamic task from a registered function; every instance knows it within moments.
   * @throws TaskNotFoundError (unknown group), InvalidTaskDefinitionError, KwargsTooLargeError, TaskConflictError
   */
  createDynamicTask(input: CreateDynamicTaskInput): Promise<TaskDefinition> {
    return this.orchestrator.dynamicTasks.create(input);
  }

  /**
   * Updates a dynamic task everywhere: only the fields given change, validated as on creation (`null` resets a
   * field to its default); a new cron expression or time zone re-plans its next run; `enabled` pauses or
   * resumes it. Every instance runs the new definition within a second. Returns the task with its state.
   * @throws TaskNotFoundError (no such dynamic task, or unknown group), StaticTaskError (a task declared with
   *   @Task: change its declaration instead), InvalidTaskDefinitionError (invalid, unknown or no field; invalid
   *   kwargs), KwargsTooLargeError, TaskConflictError (changed elsewhere over and over: retry)
   */
  async updateDynamicTask(groupName: string, taskName: string, patch: UpdateDynamicTaskInput): Promise<TaskView> {
    const task = await this.orchestrator.dynamicTasks.update(groupName, taskName, patch);
    const [view] = await this.views([task]);
    return view;
  }

  /**
   * Deletes a dynamic task everywhere, with its Redis state; returns its definition.
   * @throws TaskNotFoundError, StaticTaskError (a task declared with @Task)
   */
  deleteDynamicTask(groupName: string, taskName: string): Promise<DynamicTaskRecord> {
    return this.orchestrator.dynamicTasks.delete(groupName, taskName);
  }

  /**
   * The cluster time now (ms since the epoch): Redis TIME as estimated by this instance. Compare the times
   * the task manager reports (next runs, retry times, last runs) with it, not with this host's clock, which
   * may be skewed.
   */
  clusterNow(): number {
    return this.orchestrator.clusterNow();
  }

  /** Live instances of the deployment. */
  workers(): Promise<WorkerInfo[]> {
    return this.port.workers.list();
  }

  /**
   * The leader of each partition, by index (one entry with `partitions: 1`), null where nobody holds the
   * lease; one plain read per partition, issued together.
   */
  async partitionLeaders(): Promise<Array<PartitionLeaderInfo | null>> {
    const holders = await Promise.all(this.port.partitions.map((partition) => partition.leadership.holder()));
    return holders.map((token) => (token === null ? null : parseLeaderToken(token)));
  }

  /** The options in force (resolved defaults included), Redis passwords, TLS material and URL credentials redacted. */
  config(): TaskManagerConfig {
    return redactedConfig(this.resolvedOptions);
  }

  /** Health of this instance. */
  health(): TaskManagerHealth {
    const { driver } = this.resolvedOptions;
    const backendUp = this.port.lifecycle.isHealthy();
    const { problem } = this.orchestrator;
    return {
      status: backendUp && this.orchestrator.isRunning && !problem ? 'healthy' : 'unhealthy',
      ...(problem ? { problem } : {}),
      driver,
      redisConnected: driver === 'redis' && backendUp,
      backendConnected: backendUp,
      workerId: this.worker.id,
      workerStartedAt: new Date(this.worker.startedAt),
      isLeader: this.orchestrator.isLeader,
      ledPartitions: this.orchestrator.ledPartitions,
      running: this.orchestrator.isRunning,
    };
  }

  /** The tasks matching `filter`. @throws TaskNotFoundError when there is none. */
  private matching(filter: TaskFilter): TaskDefinition[] {
    const tasks = this.registry.listTasks(filter);
    if (tasks.length === 0) throw new TaskNotFoundError(messages.noTaskMatches(filter));
    return tasks;
  }

  private async act(
    filter: TaskFilter,
    action: (ids: string[]) => Promise<void>,
    tasks = this.matching(filter),
  ): Promise<TaskRef[]> {
    await action(tasks.map((t) => t.id));
    return tasks.map((t) => ({ groupName: t.groupName, taskName: t.name }));
  }
}
