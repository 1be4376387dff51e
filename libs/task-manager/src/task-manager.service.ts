import { Inject, Injectable } from '@nestjs/common';
import type { CoordinationPort, RunRecord, TaskState, WorkerInfo } from './engine/coordination.port.js';
import { TaskManagerOrchestrator } from './engine/task-manager.orchestrator.js';
import type { WorkerIdentity } from './engine/worker-identity.js';
import { TaskNotFoundError } from './errors/task-not-found.error.js';
import type { TaskDefinition } from './registry/task-definition.js';
import { encodeTaskId } from './registry/task-id.js';
import { TaskRegistry, type TaskFilter } from './registry/task-registry.js';
import {
  TASK_MANAGER_COORDINATION,
  TASK_MANAGER_RESOLVED_OPTIONS,
  TASK_MANAGER_WORKER,
} from './task-manager.constants.js';
import type { ResolvedTaskManagerOptions } from './options/resolved-options.js';
import type { CreateDynamicTaskInput, PersistedDynamicTask } from './registry/dynamic-task.js';
import type { RegisteredFunction, TaskGroupDefinition } from './registry/task-definition.js';

export type { TaskFilter } from './registry/task-registry.js';

/** A task with its live state. */
export interface TaskView {
  readonly task: TaskDefinition;
  readonly state: TaskState;
  /** A run holds the task's running marker right now. */
  readonly isRunning: boolean;
}

/** A task named by its group and name. */
export interface TaskRef {
  readonly groupName: string;
  readonly taskName: string;
}

/** Health of this instance. */
export interface TaskManagerHealth {
  readonly status: 'healthy' | 'unhealthy';
  readonly redisConnected: boolean;
  readonly workerId: string;
  readonly workerStartedAt: Date;
  readonly isLeader: boolean;
  readonly running: boolean;
}

/** Programmatic access to the task manager: list tasks, act on them in bulk, read history, health. */
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

  /** Tasks matching `filter` with their state (optionally one page of them), read in one pipelined round trip. */
  async getTasks(filter: TaskFilter = {}, page: { offset?: number; limit?: number } = {}): Promise<TaskView[]> {
    const offset = page.offset ?? 0;
    const all = this.registry.listTasks(filter);
    const tasks = offset > 0 || page.limit !== undefined ? all.slice(offset, offset + (page.limit ?? all.length)) : all;
    const states = await this.port.state.readStates(tasks.map((t) => t.id));
    const now = Date.now();
    return tasks.map((task, i) => ({
      task,
      state: states[i],
      isRunning: (states[i].runningUntil ?? 0) > now,
    }));
  }

  /** Disables matching tasks (persisted, never expires); returns them. */
  async disable(filter: TaskFilter = {}): Promise<TaskRef[]> {
    return this.act(filter, (ids) => this.port.state.setDisabled(ids, true));
  }

  /** Re-enables matching tasks; returns them. */
  async enable(filter: TaskFilter = {}): Promise<TaskRef[]> {
    return this.act(filter, (ids) => this.port.state.setDisabled(ids, false));
  }

  /** Runs matching tasks now (once each, besides their schedule) and clears their backoff; returns them. */
  async trigger(filter: TaskFilter = {}): Promise<TaskRef[]> {
    return this.act(filter, (ids) => this.port.state.trigger(ids, Date.now()));
  }

  /** Clears the retry backoff of matching tasks; returns them. */
  async resetRetry(filter: TaskFilter = {}): Promise<TaskRef[]> {
    return this.act(filter, (ids) => this.port.state.resetRetry(ids));
  }

  /** Deletes the run history of matching tasks; returns them. */
  async clearStatistics(filter: TaskFilter = {}): Promise<TaskRef[]> {
    return this.act(filter, (ids) => this.port.state.clearHistory(ids));
  }

  /**
   * Run history of one task, oldest first.
   * @throws TaskNotFoundError when no such task is registered.
   */
  async getStatistics(groupName: string, taskName: string, limit = 10_000): Promise<RunRecord[]> {
    const id = encodeTaskId(groupName, taskName);
    if (!this.registry.getTask(id)) throw new TaskNotFoundError(`No task "${taskName}" in group "${groupName}"`);
    return this.port.state.readHistory(id, limit);
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
   * Deletes a dynamic task everywhere, with its Redis state; returns its definition.
   * @throws TaskNotFoundError, StaticTaskError (a task declared with @Task)
   */
  deleteDynamicTask(groupName: string, taskName: string): Promise<PersistedDynamicTask> {
    return this.orchestrator.dynamicTasks.delete(groupName, taskName);
  }

  /** Live instances of the deployment. */
  workers(): Promise<WorkerInfo[]> {
    return this.port.workers.list();
  }

  /** The options in force (resolved defaults included). Includes Redis credentials: never expose as is. */
  get options(): ResolvedTaskManagerOptions {
    return this.resolvedOptions;
  }

  /** Health of this instance. */
  health(): TaskManagerHealth {
    const redisConnected = this.port.lifecycle.isHealthy();
    return {
      status: redisConnected && this.orchestrator.isRunning ? 'healthy' : 'unhealthy',
      redisConnected,
      workerId: this.worker.id,
      workerStartedAt: new Date(this.worker.startedAt),
      isLeader: this.orchestrator.isLeader,
      running: this.orchestrator.isRunning,
    };
  }

  private async act(filter: TaskFilter, action: (ids: string[]) => Promise<void>): Promise<TaskRef[]> {
    const tasks = this.registry.listTasks(filter);
    if (tasks.length > 0) await action(tasks.map((t) => t.id));
    return tasks.map((t) => ({ groupName: t.groupName, taskName: t.name }));
  }
}
