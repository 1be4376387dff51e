import type { LoggerService } from '@nestjs/common';
import { InvalidTaskDefinitionError } from '../errors/invalid-task-definition.error.js';
import { KwargsTooLargeError } from '../errors/kwargs-too-large.error.js';
import { StaticTaskError } from '../errors/static-task.error.js';
import { TaskConflictError } from '../errors/task-conflict.error.js';
import { TaskNotFoundError } from '../errors/task-not-found.error.js';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import {
  applyUpdate,
  assertDynamicTaskInput,
  assertDynamicTaskUpdate,
  buildDynamicTask,
  definitionVersion,
  parseDynamicTaskRecord,
  toPersisted,
  type CreateDynamicTaskInput,
  type DynamicTaskRecord,
  type UpdateDynamicTaskInput,
} from '../registry/dynamic-task.js';
import { validateKwargs } from '../registry/kwargs-validator.js';
import type { RegisteredFunction, TaskDefinition } from '../registry/task-definition.js';
import { encodeTaskId } from '../registry/task-id.js';
import type { TaskRegistry } from '../registry/task-registry.js';
import type { DynamicTaskPort, ScheduleEntry } from './coordination.port.js';
import { kwargsSize } from '../task-spec/kwargs.js';
import type { ScheduleRegistrar } from './schedule-registrar.js';

/** Attempts of a create or an update before it gives up (compare-and-set lost, or first slot found past). */
const MAX_ATTEMPTS = 5;

/** A create or update whose first slot was past by the server's clock on every attempt. */
function lateTooOften(task: TaskDefinition): TaskConflictError {
  return new TaskConflictError(
    `The next run of task "${task.name}" of group "${task.groupName}" could not be planned: each attempt reached ` +
      'Redis after the slot it had planned (a slow link to Redis); retry',
  );
}

/**
 * Dynamic tasks: created from registered functions at runtime, persisted in Redis, and known to every
 * instance within moments (each instance re-reads the definitions on a change notice, and whenever their
 * generation differs from the one it read last, e.g. after missing a notice). A definition held here is
 * replaced as soon as the stored one is another version (deleted and created again with a new cron).
 */
export class DynamicTasks {
  /** Definitions skipped because their function is not registered here (warned once each). */
  private readonly skipped = new Set<string>();
  private syncing?: Promise<void>;
  private syncAgain = false;
  /** Generation of the definitions last read (undefined: never read). */
  private generation?: string;
  /** Tasks created or deleted here, by sequence number: a sync that read the definitions before leaves them. */
  private readonly localChanges = new Map<string, number>();
  private changeSeq = 0;

  constructor(
    private readonly port: DynamicTaskPort,
    private readonly registry: TaskRegistry,
    private readonly registrar: ScheduleRegistrar,
    private readonly options: ResolvedTaskManagerOptions,
    private readonly logger: LoggerService,
    /** The time a definition is created at (`createdAt`): the cluster clock (a simulation's fake one). */
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * Validates (the task spec, then the group, the function, the kwargs size and DTO), persists and schedules a
   * new dynamic task; every instance learns of it at once.
   * @throws InvalidTaskDefinitionError (the task spec, unknown function, invalid kwargs), TaskNotFoundError
   *   (unknown group), KwargsTooLargeError, TaskConflictError (name taken).
   */
  async create(input: CreateDynamicTaskInput): Promise<TaskDefinition> {
    assertDynamicTaskInput(input);
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
    await this.checkKwargs(fn, input.kwargs);
    // The function's listed name is stored, whichever spelling (name or method-name alias) was given.
    const persisted = toPersisted({ ...input, functionName: fn.name }, this.options, this.now());
    const definition = JSON.stringify(persisted);
    const task = buildDynamicTask(persisted, group, fn, this.options, definitionVersion(definition));
    const conflict = () =>
      new TaskConflictError(`A task named "${task.name}" already exists in group "${task.groupName}"`);
    // A dynamic task held here may be stale (deleted elsewhere): the store decides.
    if (this.registry.getTask(task.id)?.dynamic === false) throw conflict();
    // The first run is the first slot after the moment the store takes the task: a request that reached it late
    // (its first slot already past by the server's clock) is planned again from the time now.
    let entry = this.registrar.entryOf(task);
    for (let attempt = 1; ; attempt++) {
      const result = await this.port.create(task.id, definition, entry);
      if (result === 'created') break;
      if (result === 'exists') throw conflict();
      if (attempt >= MAX_ATTEMPTS) throw lateTooOften(task);
      entry = this.registrar.entryAfter(task, entry);
    }
    // A sync triggered by the creation's own notice may have registered it already.
    this.hold(task);
    this.localChanges.set(task.id, ++this.changeSeq);
    return task;
  }

  /**
   * Updates a dynamic task everywhere: the fields given in `patch` change (validated as on creation), its
   * schedule is re-planned when its cron expression or time zone changed, and `enabled` pauses or resumes it.
   * Every instance holds the new definition within moments. Returns the updated definition.
   * @throws InvalidTaskDefinitionError (the task spec, invalid kwargs), TaskNotFoundError (no such dynamic
   *   task), StaticTaskError (a task declared with @Task), KwargsTooLargeError, TaskConflictError (updated
   *   elsewhere at the same moment, several times over: retry).
   */
  async update(groupName: string, taskName: string, patch: UpdateDynamicTaskInput): Promise<TaskDefinition> {
    assertDynamicTaskUpdate(patch);
    const id = encodeTaskId(groupName, taskName);
    const held = this.registry.getTask(id);
    if (held && !held.dynamic) {
      throw new StaticTaskError(
        `Task "${taskName}" of group "${groupName}" is static (declared with @Task); only dynamic tasks can be ` +
          'updated: change its @Task() declaration, or pause and resume it with disable / enable',
      );
    }
    const group = this.registry.getGroup(groupName);
    if (!group) throw new TaskNotFoundError(`Task group "${groupName}" does not exist`);
    const notFound = () => new TaskNotFoundError(`No dynamic task "${taskName}" in group "${groupName}"`);
    // Read, change, compare-and-set: a concurrent update of the same task makes this one start over, and so does
    // a re-planned first slot that the store found already past (the request reached it late).
    let refused: ScheduleEntry | undefined;
    for (let attempt = 1; ; attempt++) {
      const stored = await this.port.read(id);
      if (stored === null) throw notFound();
      const current = parseDynamicTaskRecord(stored, this.options.maxKwargsBytes);
      const fn = this.registry.getFunction(groupName, current.function);
      if (!fn) {
        throw new InvalidTaskDefinitionError(
          `Function "${current.function}" of the dynamic task is not registered in this application; update it ` +
            'from an instance that registers it',
        );
      }
      if (patch.kwargs !== undefined) await this.checkKwargs(fn, patch.kwargs);
      const updated = applyUpdate(current, patch, this.options);
      const definition = JSON.stringify(updated);
      const task = buildDynamicTask(updated, group, fn, this.options, definitionVersion(definition));
      const entry = refused ? this.registrar.entryAfter(task, refused) : this.registrar.entryOf(task);
      const result = await this.port.update(id, definitionVersion(stored), definition, entry, patch.enabled);
      if (result === 'missing') throw notFound();
      if (result === 'updated') {
        this.hold(task);
        this.localChanges.set(task.id, ++this.changeSeq);
        return task;
      }
      if (result === 'late') refused = entry;
      if (attempt >= MAX_ATTEMPTS) {
        if (result === 'late') throw lateTooOften(task);
        throw new TaskConflictError(
          `Dynamic task "${taskName}" of group "${groupName}" keeps being changed elsewhere; retry the update`,
        );
      }
    }
  }

  /**
   * Checks kwargs given for `fn`: their size (`maxKwargsBytes`) and its kwargs DTO, when it declares one.
   * @throws KwargsTooLargeError, InvalidTaskDefinitionError
   */
  async checkKwargs(fn: Pick<RegisteredFunction, 'name' | 'kwargsType'>, kwargs: unknown): Promise<void> {
    const size = kwargsSize(kwargs);
    if (size > this.options.maxKwargsBytes) throw new KwargsTooLargeError(size, this.options.maxKwargsBytes);
    if (fn.kwargsType) {
      const validation = await validateKwargs(fn.kwargsType, (kwargs ?? {}) as Record<string, unknown>);
      if (!validation.ok)
        throw new InvalidTaskDefinitionError(
          `Invalid kwargs for function "${fn.name}": ${validation.problems.join('; ')}`,
          validation.problems,
        );
    }
  }

  /**
   * Deletes a dynamic task everywhere, with all of its Redis state; returns its definition.
   * @throws TaskNotFoundError, StaticTaskError
   */
  async delete(groupName: string, taskName: string): Promise<DynamicTaskRecord> {
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
    this.localChanges.set(id, ++this.changeSeq);
    this.skipped.delete(id);
    if (removed === null) throw new TaskNotFoundError(`No dynamic task "${taskName}" in group "${groupName}"`);
    return JSON.parse(removed) as DynamicTaskRecord;
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

  /** Syncs when the stored definitions changed since they were last read here (one cheap read otherwise). */
  async ensureCurrent(): Promise<void> {
    if ((await this.port.generation()) !== this.generation) await this.sync();
  }

  private async syncOnce(): Promise<void> {
    const readAt = this.changeSeq;
    const { generation, tasks } = await this.port.loadAll();
    // Created or deleted here since the read began: this read is older than what the registry holds.
    const newer = (taskId: string) => (this.localChanges.get(taskId) ?? 0) > readAt;
    const wanted = new Set<string>();
    const added: TaskDefinition[] = [];
    for (const { taskId, definition } of tasks) {
      if (newer(taskId)) continue;
      const existing = this.registry.getTask(taskId);
      // A static task of that id wins; a held definition of the stored version stays.
      if (existing && (!existing.dynamic || existing.definitionVersion === definitionVersion(definition))) {
        wanted.add(taskId);
        continue;
      }
      const task = this.load(taskId, definition);
      if (task) {
        wanted.add(taskId);
        this.hold(task);
        added.push(task);
      }
    }
    for (const task of this.registry.listTasks()) {
      if (task.dynamic && !wanted.has(task.id) && !newer(task.id)) this.registry.removeTask(task.id);
    }
    for (const [taskId, seq] of this.localChanges) if (seq <= readAt) this.localChanges.delete(taskId);
    this.generation = generation;
    if (added.length > 0) await this.registrar.register(added);
  }

  /** Puts `task` in the registry, in place of another version of it. */
  private hold(task: TaskDefinition): void {
    const held = this.registry.getTask(task.id);
    if (held?.definitionVersion === task.definitionVersion) return;
    if (held) this.registry.removeTask(task.id);
    this.registry.addTask(task);
  }

  private load(taskId: string, definition: string): TaskDefinition | undefined {
    try {
      const persisted = parseDynamicTaskRecord(definition, this.options.maxKwargsBytes);
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
      return buildDynamicTask(persisted, group, fn, this.options, definitionVersion(definition));
    } catch (error) {
      if (!this.skipped.has(taskId)) {
        this.skipped.add(taskId);
        this.logger.warn(`Dynamic task ${taskId} is skipped: unreadable definition (${(error as Error).message})`);
      }
      return undefined;
    }
  }
}
