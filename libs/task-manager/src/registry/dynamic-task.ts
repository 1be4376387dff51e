import { createHash } from 'node:crypto';
import { CronSchedule } from '../cron/cron-schedule.js';
import type { TaskKwargs } from '../decorators/task.decorator.js';
import { InvalidTaskDefinitionError } from '../errors/invalid-task-definition.error.js';
import type { MisfirePolicy } from '../options/task-manager-options.interface.js';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import type { RegisteredFunction, TaskDefinition, TaskGroupDefinition } from './task-definition.js';
import { encodeTaskId } from './task-id.js';
import {
  describeProblems,
  dynamicTaskInputProblems,
  dynamicTaskRecordProblems,
  dynamicTaskUpdateProblems,
  nameProblem,
} from '../task-spec/task-spec.js';

/** What a caller gives to create a dynamic task (FastAPI Task Manager's `CreateDynamicTaskRequest`, camelCased). */
export interface CreateDynamicTaskInput {
  groupName: string;
  functionName: string;
  cronExpression: string;
  kwargs?: TaskKwargs | null;
  /** Auto-generated when omitted: `<function>_<8 hex>` from the expression, time zone and kwargs. */
  name?: string | null;
  description?: string | null;
  highPriority?: boolean | null;
  tags?: string[] | null;
  retryBackoff?: number | null;
  retryBackoffMax?: number | null;
  /** Whether a run may start while another is queued or running; null or absent: the group's, then the module's. */
  allowParallel?: boolean | null;
  timeZone?: string | null;
  /** Attempts per slot (a failed run is retried after its backoff); null or absent: 1. */
  maxAttempts?: number | null;
  /** Abort a run taking longer than this (ms); null or absent: no timeout. */
  timeoutMs?: number | null;
  /** What to do with slots missed while no leader ran; null or absent: the module's `misfirePolicy`. */
  misfirePolicy?: MisfirePolicy | null;
}

/**
 * A change of a dynamic task (`updateDynamicTask`, `PATCH /tasks`): only the fields given change. `null` resets
 * a field to its default, as when creating: the module's time zone, no kwargs, no description, no tags, the
 * inherited allowParallel / misfire policy / backoff, 1 attempt, no timeout. `enabled` pauses or resumes the
 * task (as `disable` / `enable`). The group, name and function of a task never change.
 */
export interface UpdateDynamicTaskInput {
  cronExpression?: string;
  timeZone?: string | null;
  kwargs?: TaskKwargs | null;
  description?: string | null;
  tags?: string[] | null;
  highPriority?: boolean;
  enabled?: boolean;
  allowParallel?: boolean | null;
  maxAttempts?: number | null;
  timeoutMs?: number | null;
  misfirePolicy?: MisfirePolicy | null;
  retryBackoff?: number | null;
  retryBackoffMax?: number | null;
}

/** A dynamic task as stored (one JSON value per task), and as `deleteDynamicTask` returns it. */
export interface DynamicTaskRecord {
  group: string;
  name: string;
  function: string;
  expression: string;
  timeZone: string;
  kwargs: TaskKwargs | null;
  description: string | null;
  tags: string[];
  highPriority: boolean;
  retryBackoff: number | null;
  retryBackoffMax: number | null;
  /** The task's own allowParallel (null: inherited); absent from definitions stored before it existed. */
  allowParallel?: boolean | null;
  /** Attempts per slot (null: 1); absent from definitions stored before it existed. */
  maxAttempts?: number | null;
  /** Run timeout in ms (null: none); absent from definitions stored before it existed. */
  timeoutMs?: number | null;
  /** Misfire policy (null: the module's); absent from definitions stored before it existed. */
  misfirePolicy?: MisfirePolicy | null;
  createdAt: number;
}

/**
 * Checks `input` against the task spec (kwargs size and the function's kwargs DTO apart).
 * @throws InvalidTaskDefinitionError listing every problem
 */
export function assertDynamicTaskInput(input: CreateDynamicTaskInput): void {
  const problems = describeProblems(dynamicTaskInputProblems(input));
  if (problems.length > 0) throw new InvalidTaskDefinitionError(problems.join('; '), problems);
}

/** Validates an input (except kwargs size and DTO validation, and uniqueness) and returns what to persist. */
export function toPersisted(
  input: CreateDynamicTaskInput,
  options: ResolvedTaskManagerOptions,
  now = Date.now(),
): DynamicTaskRecord {
  assertDynamicTaskInput(input);
  const timeZone = input.timeZone ?? options.timeZone;
  const expression = input.cronExpression.trim();
  const kwargs = input.kwargs ?? null;
  const name = input.name ?? autoName(input.functionName, expression, timeZone, kwargs);
  const problem = nameProblem(name);
  if (problem) throw new InvalidTaskDefinitionError(`task name ${problem}`);
  const backoff = input.retryBackoff ?? null;
  const backoffMax = input.retryBackoffMax ?? null;
  const allowParallel = input.allowParallel ?? null;
  return {
    group: input.groupName,
    name,
    function: input.functionName,
    expression,
    timeZone,
    kwargs,
    description: input.description ?? null,
    tags: [...new Set(input.tags ?? [])],
    highPriority: input.highPriority ?? false,
    retryBackoff: backoff,
    retryBackoffMax: backoffMax,
    allowParallel,
    ...optionsOf(input),
    createdAt: now,
  };
}

/** The run options of a definition, written only when set (definitions without them stay as they were). */
function optionsOf(input: Pick<DynamicTaskRecord, 'maxAttempts' | 'timeoutMs' | 'misfirePolicy'>) {
  return {
    ...(input.maxAttempts != null ? { maxAttempts: input.maxAttempts } : {}),
    ...(input.timeoutMs != null ? { timeoutMs: input.timeoutMs } : {}),
    ...(input.misfirePolicy != null ? { misfirePolicy: input.misfirePolicy } : {}),
  };
}

/**
 * Checks `patch` against the task spec taken alone (unknown fields, an empty update, each field's rule).
 * @throws InvalidTaskDefinitionError listing every problem
 */
export function assertDynamicTaskUpdate(patch: UpdateDynamicTaskInput): void {
  const problems = describeProblems(dynamicTaskUpdateProblems(patch));
  if (problems.length > 0) throw new InvalidTaskDefinitionError(problems.join('; '), problems);
}

/**
 * The stored definition `record` with `patch` applied (`enabled` apart: it is task state, not definition),
 * checked as a whole against the task spec (backoff order, kwargs size).
 * @throws InvalidTaskDefinitionError listing every problem
 */
export function applyUpdate(
  record: DynamicTaskRecord,
  patch: UpdateDynamicTaskInput,
  options: ResolvedTaskManagerOptions,
): DynamicTaskRecord {
  assertDynamicTaskUpdate(patch);
  const pick = <K extends keyof UpdateDynamicTaskInput & keyof DynamicTaskRecord>(
    field: K,
    reset: DynamicTaskRecord[K],
  ): DynamicTaskRecord[K] =>
    patch[field] === undefined ? record[field] : ((patch[field] ?? reset) as DynamicTaskRecord[K]);
  const { maxAttempts, timeoutMs, misfirePolicy, ...rest } = record;
  const updated: DynamicTaskRecord = {
    ...rest,
    expression: patch.cronExpression === undefined ? record.expression : patch.cronExpression.trim(),
    timeZone: pick('timeZone', options.timeZone),
    kwargs: pick('kwargs', null),
    description: pick('description', null),
    tags: patch.tags === undefined ? record.tags : [...new Set(patch.tags ?? [])],
    highPriority: pick('highPriority', false),
    allowParallel: pick('allowParallel', null),
    retryBackoff: pick('retryBackoff', null),
    retryBackoffMax: pick('retryBackoffMax', null),
    ...optionsOf({
      maxAttempts: patch.maxAttempts === undefined ? maxAttempts : patch.maxAttempts,
      timeoutMs: patch.timeoutMs === undefined ? timeoutMs : patch.timeoutMs,
      misfirePolicy: patch.misfirePolicy === undefined ? misfirePolicy : patch.misfirePolicy,
    }),
  };
  const problems = describeProblems(dynamicTaskRecordProblems(updated, options.maxKwargsBytes));
  if (problems.length > 0) throw new InvalidTaskDefinitionError(problems.join('; '), problems);
  return updated;
}

/**
 * Reads a stored definition back, checked against the task spec (it may come from another version of the
 * library, or have been edited in Redis).
 * @throws Error naming the problems when it is not a valid dynamic task
 */
export function parseDynamicTaskRecord(definition: string, maxKwargsBytes: number): DynamicTaskRecord {
  const record: unknown = JSON.parse(definition);
  const problems = describeProblems(dynamicTaskRecordProblems(record, maxKwargsBytes));
  if (problems.length > 0) throw new Error(`invalid definition: ${problems.join('; ')}`);
  return record as DynamicTaskRecord;
}

/**
 * Version of a stored definition (its JSON as persisted): SHA-1 hex, so that a Lua script can compute it too
 * (`redis.sha1hex`). A task deleted and created again has a new version even with the same content
 * (`createdAt` differs): every instance replaces what it holds.
 */
export function definitionVersion(definition: string): string {
  return createHash('sha1').update(definition).digest('hex');
}

/** A short, stable, readable name: the same definition always gets the same name. */
export function autoName(
  functionName: string,
  expression: string,
  timeZone: string,
  kwargs: TaskKwargs | null,
): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([expression, timeZone, canonical(kwargs)]))
    .digest('hex');
  return `${functionName}_${digest.slice(0, 8)}`;
}

/** Builds the runtime definition of a persisted dynamic task (`version`: that of its stored JSON). */
export function buildDynamicTask(
  persisted: DynamicTaskRecord,
  group: TaskGroupDefinition,
  fn: RegisteredFunction,
  options: ResolvedTaskManagerOptions,
  version: string,
): TaskDefinition {
  return {
    id: encodeTaskId(persisted.group, persisted.name),
    groupName: persisted.group,
    name: persisted.name,
    expression: persisted.expression,
    timeZone: persisted.timeZone,
    schedule: CronSchedule.parse(persisted.expression, persisted.timeZone),
    kwargs: persisted.kwargs,
    description: persisted.description,
    tags: [...new Set([...group.tags, ...persisted.tags])],
    highPriority: persisted.highPriority,
    allowParallel: persisted.allowParallel ?? group.allowParallel ?? options.allowParallel,
    allowParallelOverride: persisted.allowParallel ?? null,
    retryBackoff: persisted.retryBackoff,
    retryBackoffMax: persisted.retryBackoffMax,
    misfirePolicy: persisted.misfirePolicy ?? options.misfirePolicy,
    maxAttempts: persisted.maxAttempts ?? 1,
    timeoutMs: persisted.timeoutMs ?? null,
    dynamic: true,
    definitionVersion: version,
    functionName: fn.name,
    kwargsType: fn.kwargsType,
    handler: fn.handler,
    source: `dynamic task ${persisted.group}/${persisted.name}`,
  };
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
