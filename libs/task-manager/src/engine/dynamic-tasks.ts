import type { LoggerService } from '@nestjs/common';
import { InvalidTaskDefinitionError } from '../errors/invalid-task-definition.error.js';
import { KwargsTooLargeError } from '../errors/kwargs-too-large.error.js';
import { StaticTaskError } from '../errors/static-task.error.js';
import { TaskConflictError } from '../errors/task-conflict.error.js';
import { TaskNotFoundError } from '../errors/task-not-found.error.js';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import {
  buildDynamicTask,
  toPersisted,
  type CreateDynamicTaskInput,
  type PersistedDynamicTask,
} from '../registry/dynamic-task.js';
import { validateKwargs } from '../registry/kwargs-validator.js';
import type { TaskDefinition } from '../registry/task-definition.js';
import { encodeTaskId } from '../registry/task-id.js';
import type { TaskRegistry } from '../registry/task-registry.js';
import type { DynamicTaskPort } from './coordination.port.js';
import type { ScheduleRegistrar } from './schedule-registrar.js';

/**
 * Dynamic tasks: created from registered functions at runtime, persisted in Redis, and known to every
 * instance within moments (each instance re-reads the definitions on a change notice, and at every
 * reconciliation interval in case a notice was missed).
 */
export class DynamicTasks {
  /** Definitions skipped because their function is not registered here (warned once each). */
  private readonly skipped = new Set<string>();
  private syncing?: Promise<void>;
  private syncAgain = false;

  constructor(
    private readonly port: DynamicTaskPort,
    private readonly registry: TaskRegistry,
    private readonly registrar: ScheduleRegistrar,
    private readonly options: ResolvedTaskManagerOptions,
    private readonly logger: LoggerService,
  ) {}

  /**
   * Validates, persists and schedules a new dynamic task; every instance learns of it at once.
   * @throws TaskNotFoundError (unknown group), InvalidTaskDefinitionError (unknown function, bad cron or
   *   time zone, invalid kwargs), KwargsTooLargeError, TaskConflictError (name taken).
   */
  async create(input: CreateDynamicTaskInput): Promise<TaskDefinition> {
    const group = this.registry.getGroup(input.groupName);
    if (!group) throw new TaskNotFoundError(`Task group "${input.groupName}" does not exist`);
    const fn = this.registry.getFunction(input.groupName, input.functionName);
    if (!fn) {
      const known = this.registry.listFunctions(input.groupName).map((f) => f.name);
      throw new InvalidTaskDefinitionError(
        `Function "${input.functionName}" is not registered in group "${input.groupName}"` +
          (known.length ? ` (registered: ${known.join(', ')})` : ' (the group registers no function)'),
      );
    }
    const size = Buffer.byteLength(JSON.stringify(input.kwargs ?? null));
    if (size > this.options.maxKwargsBytes) throw new KwargsTooLargeError(size, this.options.maxKwargsBytes);
    if (fn.kwargsType) {
      const validation = await validateKwargs(fn.kwargsType, input.kwargs ?? {});
      if (!validation.ok)
        throw new InvalidTaskDefinitionError(
          `Invalid kwargs for function "${fn.name}": ${validation.problems.join('; ')}`,
          validation.problems,
        );
    }
    const persisted = toPersisted(input, this.options);
    const task = buildDynamicTask(persisted, group, fn, this.options);
    if (this.registry.getTask(task.id))
      throw new TaskConflictError(`A task named "${task.name}" already exists in group "${task.groupName}"`);
    const created = await this.port.create(task.id, JSON.stringify(persisted), this.registrar.entryOf(task));
    if (!created)
      throw new TaskConflictError(`A task named "${task.name}" already exists in group "${task.groupName}"`);
    // A sync triggered by the creation's own notice (or the periodic one) may have registered it already.
    if (!this.registry.getTask(task.id)) this.registry.addTask(task);
    return task;
  }

  /**
   * Deletes a dynamic task everywhere, with all of its Redis state; returns its definition.
   * @throws TaskNotFoundError, StaticTaskError
   */
  async delete(groupName: string, taskName: string): Promise<PersistedDynamicTask> {
    const id = encodeTaskId(groupName, taskName);
    const task = this.registry.getTask(id);
    if (task && !task.dynamic) {
      throw new StaticTaskError(
        `Task "${taskName}" of group "${groupName}" is static (declared with @Task); only dynamic tasks can be deleted`,
      );
    }
    if (!task && !this.registry.getGroup(groupName))
      throw new TaskNotFoundError(`Task group "${groupName}" does not exist`);
    const removed = await this.port.remove(id);
    this.registry.removeTask(id);
    this.skipped.delete(id);
    if (removed === null) throw new TaskNotFoundError(`No dynamic task "${taskName}" in group "${groupName}"`);
    return JSON.parse(removed) as PersistedDynamicTask;
  }

  /** Makes the registry's dynamic tasks match the persisted definitions (coalesced when called often). */
  sync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.syncAgain = false;
        await this.syncOnce();
      } while (this.syncAgain);
    })().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const persisted = await this.port.loadAll();
    const wanted = new Set<string>();
    const added: TaskDefinition[] = [];
    for (const { taskId, definition } of persisted) {
      wanted.add(taskId);
      const existing = this.registry.getTask(taskId);
      if (existing) continue;
      const task = this.load(taskId, definition);
      if (task) {
        this.registry.addTask(task);
        added.push(task);
      }
    }
    for (const task of this.registry.listTasks()) {
      if (task.dynamic && !wanted.has(task.id)) this.registry.removeTask(task.id);
    }
    if (added.length > 0) await this.registrar.register(added);
  }

  private load(taskId: string, definition: string): TaskDefinition | undefined {
    try {
      const persisted = JSON.parse(definition) as PersistedDynamicTask;
      const group = this.registry.getGroup(persisted.group);
      const fn = group && this.registry.getFunction(persisted.group, persisted.function);
      if (!group || !fn) {
        if (!this.skipped.has(taskId)) {
          this.skipped.add(taskId);
          this.logger.warn(
            `Dynamic task "${persisted.name}" of group "${persisted.group}" is skipped: ` +
              (group
                ? `function "${persisted.function}" is not registered in this application`
                : 'its group does not exist in this application'),
          );
        }
        return undefined;
      }
      this.skipped.delete(taskId);
      return buildDynamicTask(persisted, group, fn, this.options);
    } catch (error) {
      if (!this.skipped.has(taskId)) {
        this.skipped.add(taskId);
        this.logger.warn(`Dynamic task ${taskId} is skipped: unreadable definition (${(error as Error).message})`);
      }
      return undefined;
    }
  }
}
