import type { TaskKwargs } from '../decorators/task.decorator.js';
import { InvalidTaskDefinitionError } from '../errors/invalid-task-definition.error.js';
import { KwargsTooLargeError } from '../errors/kwargs-too-large.error.js';
import { kwargsProblem, kwargsSize } from '../task-spec/kwargs.js';
import { validateKwargs } from './kwargs-validator.js';
import type { TaskDefinition } from './task-definition.js';
import type { TaskRegistry } from './task-registry.js';

/**
 * Checks the kwargs a run is triggered with, as a dynamic task's kwargs are checked: the task spec's kwargs rule
 * (a JSON object, depth, forbidden keys), their size (`maxKwargsBytes`), then, for each task, its function's
 * kwargs DTO (`@RegisterFunction({ kwargs })`) when it has one: a dynamic task's function, or a function
 * registered by the very method of a static task.
 * @throws InvalidTaskDefinitionError, KwargsTooLargeError
 */
export async function assertRunKwargs(
  kwargs: unknown,
  tasks: readonly TaskDefinition[],
  registry: TaskRegistry,
  maxKwargsBytes: number,
): Promise<TaskKwargs> {
  const problem = kwargsProblem(kwargs);
  if (problem) throw new InvalidTaskDefinitionError(`kwargs ${problem}`, [`kwargs ${problem}`]);
  const size = kwargsSize(kwargs);
  if (size > maxKwargsBytes) throw new KwargsTooLargeError(size, maxKwargsBytes);
  for (const task of tasks) {
    const type =
      task.kwargsType ?? registry.listFunctions(task.groupName).find((fn) => fn.handler === task.handler)?.kwargsType;
    if (!type) continue;
    const validation = await validateKwargs(type, kwargs as TaskKwargs);
    if (!validation.ok)
      throw new InvalidTaskDefinitionError(
        `Invalid kwargs for task "${task.name}" of group "${task.groupName}": ${validation.problems.join('; ')}`,
        validation.problems,
      );
  }
  return kwargs as TaskKwargs;
}
