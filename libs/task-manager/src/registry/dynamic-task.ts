import { createHash } from 'node:crypto';
import { CronSchedule } from '../cron/cron-schedule.js';
import type { TaskKwargs } from '../decorators/task.decorator.js';
import { InvalidTaskDefinitionError } from '../errors/invalid-task-definition.error.js';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import type { RegisteredFunction, TaskDefinition, TaskGroupDefinition } from './task-definition.js';
import { encodeTaskId } from './task-id.js';
import { validateName } from './task-factory.js';

/** What a caller gives to create a dynamic task (the seed's `CreateDynamicTaskRequest`, camelCased). */
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
  timeZone?: string | null;
}

/** A dynamic task as persisted in Redis (one JSON value per task). */
export interface PersistedDynamicTask {
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
  createdAt: number;
}

/** Validates an input (except kwargs DTO validation and uniqueness) and returns what to persist. */
export function toPersisted(
  input: CreateDynamicTaskInput,
  options: ResolvedTaskManagerOptions,
  now = Date.now(),
): PersistedDynamicTask {
  const timeZone = input.timeZone ?? options.timeZone;
  const problem = CronSchedule.validate(input.cronExpression, timeZone);
  if (problem) throw new InvalidTaskDefinitionError(problem);
  const expression = input.cronExpression.trim();
  const kwargs = input.kwargs ?? null;
  const name = input.name ?? autoName(input.functionName, expression, timeZone, kwargs);
  const nameProblem = validateName(name);
  if (nameProblem) throw new InvalidTaskDefinitionError(`task ${nameProblem}`);
  const backoff = input.retryBackoff ?? null;
  const backoffMax = input.retryBackoffMax ?? null;
  if (backoff !== null && backoffMax !== null && backoffMax < backoff) {
    throw new InvalidTaskDefinitionError('retry_backoff_max must be >= retry_backoff');
  }
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
    createdAt: now,
  };
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

/** Builds the runtime definition of a persisted dynamic task. */
export function buildDynamicTask(
  persisted: PersistedDynamicTask,
  group: TaskGroupDefinition,
  fn: RegisteredFunction,
  options: ResolvedTaskManagerOptions,
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
    allowParallel: group.allowParallel ?? options.allowParallel,
    retryBackoff: persisted.retryBackoff,
    retryBackoffMax: persisted.retryBackoffMax,
    misfirePolicy: options.misfirePolicy,
    maxAttempts: 1,
    timeoutMs: null,
    dynamic: true,
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
