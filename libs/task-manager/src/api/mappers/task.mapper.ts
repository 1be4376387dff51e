/** Maps the service's task models to the seed's response shapes. */
import type { PersistedDynamicTask } from '../../registry/dynamic-task.js';
import type { RegisteredFunction, TaskDefinition, TaskGroupDefinition } from '../../registry/task-definition.js';
import type { TaskRef, TaskView } from '../../task-manager.service.js';
import type {
  DynamicTaskResponse,
  RegisteredFunctionsResponse,
  TaskActionResponse,
  TaskDetailedResponse,
  TaskGroupResponse,
} from '../dto/task.responses.js';
import { isoTimeOrNull } from './time.js';

/** `TaskDetailed`: a task's definition and live state. */
export function toTaskDetailed({ task, state, isRunning }: TaskView): TaskDetailedResponse {
  return {
    name: task.name,
    description: task.description,
    tags: [...task.tags],
    expression: task.expression,
    high_priority: task.highPriority,
    retry_backoff: task.retryBackoff,
    retry_backoff_max: task.retryBackoffMax,
    dynamic: task.dynamic,
    task_group_name: task.groupName,
    kwargs: task.kwargs,
    function_name: task.functionName,
    next_run: isoTimeOrNull(state.nextRun),
    is_active: !state.disabled,
    is_running: isRunning,
    retry_after: isoTimeOrNull(state.retryAfter),
    retry_delay: state.retryDelay,
    time_zone: task.timeZone,
    last_status: state.lastStatus,
    last_run: isoTimeOrNull(state.lastRun),
  };
}

/** `TaskGroup`. */
export function toTaskGroup({
  group,
  taskCount,
}: {
  group: TaskGroupDefinition;
  taskCount: number;
}): TaskGroupResponse {
  return { name: group.name, tags: [...group.tags], task_count: taskCount };
}

/** `TaskActionResponse` of a bulk action. */
export function toTaskAction(refs: readonly TaskRef[]): TaskActionResponse {
  return {
    affected_tasks: refs.map((ref) => ({ task_group: ref.groupName, task: ref.taskName })),
    count: refs.length,
  };
}

/** `RegisteredFunctionsResponse`. */
export function toRegisteredFunctions(functions: readonly RegisteredFunction[]): RegisteredFunctionsResponse {
  return {
    functions: functions.map((fn) => ({ task_group_name: fn.groupName, function_name: fn.name })),
    count: functions.length,
  };
}

/** `DynamicTaskResponse` of a created task. */
export function toCreatedDynamicTask(task: TaskDefinition): DynamicTaskResponse {
  return {
    task_group_name: task.groupName,
    task_name: task.name,
    function_name: task.functionName ?? '',
    cron_expression: task.expression,
    kwargs: task.kwargs,
    dynamic: true,
    time_zone: task.timeZone,
  };
}

/** `DynamicTaskResponse` of a deleted task. */
export function toDeletedDynamicTask(task: PersistedDynamicTask): DynamicTaskResponse {
  return {
    task_group_name: task.group,
    task_name: task.name,
    function_name: task.function,
    cron_expression: task.expression,
    kwargs: task.kwargs,
    dynamic: true,
    time_zone: task.timeZone,
  };
}
