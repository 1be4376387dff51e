import { CronSchedule } from '../cron/cron-schedule.js';
import type { TaskDeclaration, TaskKwargs } from '../decorators/task.decorator.js';
import type { TaskHandler } from '../decorators/task-context.interface.js';
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import { messages } from '../task-manager.messages.js';
import type { TaskDefinition, TaskGroupDefinition } from './task-definition.js';
import { encodeTaskId } from './task-id.js';
import { cronExpressionProblem } from '../cron/cron-expression.js';
import { describeProblems, nameProblem, taskOptionsProblems } from '../task-spec/task-spec.js';

/**
 * Name of the `index`-th (from 1) of `count` tasks made by one declaration: the declared name (or the method
 * name) alone, or suffixed `-1`, `-2`... when there are several. The suffix adds only URL-safe characters, so a
 * name is usable in a path or query without percent-encoding whenever the declared one is; it is the same on
 * every boot as long as the declaration is (the expressions in order, each with each kwargs entry in order).
 */
export function generatedTaskName(baseName: string, index: number, count: number): string {
  return count === 1 ? baseName : `${baseName}-${index}`;
}

/**
 * Turns one `@Task()` declaration into task definitions: one per (expression, kwargs) pair, every option
 * resolved (task > group > module) and validated, named by `generatedTaskName`. A generated name that collides
 * with another task's is refused at boot by the registry.
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
  const problems = taskOptionsProblems(task, options.maxKwargsBytes);
  if (problems.length > 0) fail(describeProblems(problems, (field) => `\`${field}\``).join('; '));
  if (declaration.expressions.length === 0) fail('at least one cron expression is required');
  const kwargsList: Array<TaskKwargs | null> =
    task.kwargs === undefined ? [null] : Array.isArray(task.kwargs) ? task.kwargs : [task.kwargs];
  const timeZone = task.timeZone ?? options.timeZone;
  const baseName = task.name ?? methodName;
  const count = declaration.expressions.length * kwargsList.length;
  const definitions: TaskDefinition[] = [];
  for (const expression of declaration.expressions) {
    const problem = cronExpressionProblem(expression);
    if (problem) throw new TaskManagerConfigurationError(messages.invalidCron(source, problem));
    for (const kwargs of kwargsList) {
      const name = generatedTaskName(baseName, definitions.length + 1, count);
      const problem = nameProblem(name);
      if (problem) fail(`task name ${problem}`);
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
        allowParallelOverride: task.allowParallel ?? null,
        retryBackoff: task.retryBackoff ?? null,
        retryBackoffMax: task.retryBackoffMax ?? null,
        misfirePolicy: task.misfirePolicy ?? options.misfirePolicy,
        maxAttempts: task.maxAttempts ?? 1,
        timeoutMs: task.timeoutMs ?? null,
        dynamic: false,
        ...(task.disabled ? { declaredDisabled: true } : {}),
        functionName: null,
        handler,
        source,
      });
    }
  }
  return definitions;
}
