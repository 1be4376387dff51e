import { CronSchedule } from '../cron/cron-schedule.js';
import type { TaskDeclaration, TaskKwargs, TaskOptions } from '../decorators/task.decorator.js';
import type { TaskHandler } from '../decorators/task-context.interface.js';
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import { messages } from '../task-manager.messages.js';
import type { TaskDefinition, TaskGroupDefinition } from './task-definition.js';
import { encodeTaskId } from './task-id.js';

/** Longest group, task or function name accepted. */
export const MAX_NAME_LENGTH = 1024;
const MISFIRE_POLICIES = ['runOnce', 'skip', 'runAll'];
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Returns why `name` is unusable as a group, task or function name, or undefined. */
export function validateName(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'name must be a non-empty string';
  if (name.length > MAX_NAME_LENGTH) return `name must be at most ${MAX_NAME_LENGTH} characters (got ${name.length})`;
  if (LONE_SURROGATE.test(name)) return 'name must be valid Unicode text (it contains a lone UTF-16 surrogate)';
  return undefined;
}

/**
 * Turns one `@Task()` declaration into task definitions: one per (expression, kwargs) pair, every option
 * resolved (task > group > module) and validated. Names: the declared `name` (or the method name), suffixed
 * `#1`, `#2`... when the declaration makes several tasks — stable as long as the declaration is.
 */
export function buildTasks(
  group: TaskGroupDefinition,
  declaration: TaskDeclaration,
  methodName: string,
  handler: TaskHandler,
  options: ResolvedTaskManagerOptions,
): TaskDefinition[] {
  const source = `${group.className}.${methodName}`;
  const fail = (problem: string): never => {
    throw new TaskManagerConfigurationError(messages.invalidTaskOption(source, problem));
  };
  const task = declaration.options ?? {};
  validateTaskOptions(task, fail);
  if (declaration.expressions.length === 0) fail('at least one cron expression is required');
  const kwargsList: Array<TaskKwargs | null> =
    task.kwargs === undefined ? [null] : Array.isArray(task.kwargs) ? task.kwargs : [task.kwargs];
  if (kwargsList.length === 0) fail('`kwargs` is an empty list; omit it or give at least one entry');
  for (const kwargs of kwargsList) {
    if (kwargs !== null && (typeof kwargs !== 'object' || Array.isArray(kwargs)))
      fail('each `kwargs` entry must be a plain object');
  }
  const timeZone = task.timeZone ?? options.timeZone;
  const baseName = task.name ?? methodName;
  const count = declaration.expressions.length * kwargsList.length;
  const definitions: TaskDefinition[] = [];
  for (const expression of declaration.expressions) {
    const problem = CronSchedule.validate(expression, timeZone);
    if (problem) throw new TaskManagerConfigurationError(messages.invalidCron(source, problem));
    for (const kwargs of kwargsList) {
      const name = count === 1 ? baseName : `${baseName}#${definitions.length + 1}`;
      const nameProblem = validateName(name);
      if (nameProblem) fail(`task ${nameProblem}`);
      definitions.push({
        id: encodeTaskId(group.name, name),
        groupName: group.name,
        name,
        expression: expression.trim(),
        timeZone,
        schedule: CronSchedule.parse(expression, timeZone),
        kwargs,
        description: task.description ?? null,
        tags: [...new Set([...group.tags, ...(task.tags ?? [])])],
        highPriority: task.highPriority ?? false,
        allowParallel: task.allowParallel ?? group.allowParallel ?? options.allowParallel,
        retryBackoff: task.retryBackoff ?? null,
        retryBackoffMax: task.retryBackoffMax ?? null,
        misfirePolicy: task.misfirePolicy ?? options.misfirePolicy,
        maxAttempts: task.maxAttempts ?? 1,
        timeoutMs: task.timeoutMs ?? null,
        dynamic: false,
        functionName: null,
        handler,
        source,
      });
    }
  }
  return definitions;
}

function validateTaskOptions(task: TaskOptions, fail: (problem: string) => never): void {
  const positive = (key: keyof TaskOptions) => {
    const value = task[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0))
      fail(`\`${key}\` must be a positive number (got ${JSON.stringify(value)})`);
  };
  const boolean = (key: keyof TaskOptions) => {
    if (task[key] !== undefined && typeof task[key] !== 'boolean') fail(`\`${key}\` must be true or false`);
  };
  positive('retryBackoff');
  positive('retryBackoffMax');
  positive('timeoutMs');
  boolean('highPriority');
  boolean('allowParallel');
  boolean('register');
  if (
    task.retryBackoff !== undefined &&
    task.retryBackoffMax !== undefined &&
    task.retryBackoffMax < task.retryBackoff
  ) {
    fail('`retryBackoffMax` must be >= `retryBackoff`');
  }
  if (task.maxAttempts !== undefined && (!Number.isInteger(task.maxAttempts) || task.maxAttempts < 1))
    fail('`maxAttempts` must be an integer >= 1');
  if (task.misfirePolicy !== undefined && !MISFIRE_POLICIES.includes(task.misfirePolicy))
    fail(`\`misfirePolicy\` must be one of ${MISFIRE_POLICIES.join(', ')}`);
  if (task.tags !== undefined && (!Array.isArray(task.tags) || task.tags.some((t) => typeof t !== 'string')))
    fail('`tags` must be an array of strings');
  if (task.name !== undefined && validateName(task.name)) fail(`\`name\`: ${validateName(task.name)}`);
}
