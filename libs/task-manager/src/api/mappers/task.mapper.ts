/** Maps the service's task models to FastAPI Task Manager's response shapes (plus our documented additions). */
import type { DynamicTaskRecord } from '../../registry/dynamic-task.js';
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

/**
 * `TaskDetailed`: a task's definition and live state. As FastAPI Task Manager: `kwargs` is `{}` for a task without
 * kwargs, `allow_parallel` the task's own value (null: inherited), `retry_delay` the delay of the next failure.
 */
export function toTaskDetailed({ task, state, isRunning, nextRetryDelay }: TaskView): TaskDetailedResponse {
  return {
    name: task.name,
    description: task.description,
    tags: [...task.tags],
    expression: task.expression,
    high_priority: task.highPriority,
    retry_backoff: task.retryBackoff,
    retry_backoff_max: task.retryBackoffMax,
    dynamic: task.dynamic,
    allow_parallel: task.allowParallelOverride,
    task_group_name: task.groupName,
    kwargs: task.kwargs ?? {},
    function_name: task.functionName,
    next_run: isoTimeOrNull(state.nextRun),
    is_active: !state.disabled,
    is_running: isRunning,
    retry_after: isoTimeOrNull(state.retryAfter),
    retry_delay: nextRetryDelay,
    applied_retry_delay: state.retryDelay,
    time_zone: task.timeZone,
    last_status: state.lastStatus,
    last_run: isoTimeOrNull(state.lastRun),
    max_attempts: task.maxAttempts,
    timeout_ms: task.timeoutMs,
    misfire_policy: task.misfirePolicy,
  };
}

/** `TaskGroup`; `allow_parallel` is the group's own value (null when not set). */
export function toTaskGroup({
  group,
  taskCount,
}: {
  group: TaskGroupDefinition;
  taskCount: number;
}): TaskGroupResponse {
  return {
    name: group.name,
    tags: [...group.tags],
    allow_parallel: group.allowParallel ?? null,
    task_count: taskCount,
  };
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

/** `DynamicTaskResponse` of a created task: `kwargs` as sent (null when not sent), as FastAPI Task Manager echoes them. */
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

/** `DynamicTaskResponse` of a deleted task: `kwargs` `{}` when it had none, as FastAPI Task Manager answers. */
export function toDeletedDynamicTask(task: DynamicTaskRecord): DynamicTaskResponse {
  return {
    task_group_name: task.group,
    task_name: task.name,
    function_name: task.function,
    cron_expression: task.expression,
    kwargs: task.kwargs ?? {},
    dynamic: true,
    time_zone: task.timeZone,
  };
}
