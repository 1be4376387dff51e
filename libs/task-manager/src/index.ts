export { TaskManagerModule } from './task-manager.module.js';
export { TASK_MANAGER_MODULE_OPTIONS } from './task-manager.module-definition.js';
export { TaskManagerService } from './task-manager.service.js';
export type { TaskView, TaskRef, TaskFilter, TaskManagerHealth } from './task-manager.service.js';
export { TaskGroup, type TaskGroupOptions } from './decorators/task-group.decorator.js';
export { Task, type TaskOptions, type TaskKwargs } from './decorators/task.decorator.js';
export { RegisterFunction, type RegisterFunctionOptions } from './decorators/register-function.decorator.js';
export type { TaskContext, TaskHandler } from './decorators/task-context.interface.js';
export type {
  TaskManagerModuleOptions,
  TaskManagerRedisOptions,
  TaskManagerRedisClusterOptions,
  MisfirePolicy,
} from './options/task-manager-options.interface.js';
export type { ResolvedTaskManagerOptions } from './options/resolved-options.js';
export { TaskRegistry } from './registry/task-registry.js';
export type { TaskDefinition, TaskGroupDefinition, RegisteredFunction } from './registry/task-definition.js';
export { encodeTaskId, decodeTaskId } from './registry/task-id.js';
export type { RunRecord, TaskState } from './engine/coordination.port.js';
export { TaskManagerConfigurationError } from './errors/task-manager-configuration.error.js';
export { TaskNotFoundError } from './errors/task-not-found.error.js';
export { RunAbortedError, type AbortCause } from './engine/run-executor.js';
export { TaskManagerKeys } from './redis/task-manager-keys.js';
export { TASK_MANAGER_LOGGER } from './task-manager.constants.js';
export { TaskManagerError } from './errors/task-manager.error.js';
export { InvalidTaskDefinitionError } from './errors/invalid-task-definition.error.js';
export { TaskConflictError } from './errors/task-conflict.error.js';
export { StaticTaskError } from './errors/static-task.error.js';
export { KwargsTooLargeError } from './errors/kwargs-too-large.error.js';
export type { CreateDynamicTaskInput, PersistedDynamicTask } from './registry/dynamic-task.js';
export type { WorkerInfo } from './engine/coordination.port.js';
export type { TaskManagerModuleExtras } from './task-manager.module-definition.js';
export {
  TASK_MANAGER_API_OPTIONS,
  type TaskManagerApiOptions,
  type TaskManagerDashboardOptions,
  type TaskManagerApiGuard,
  type TaskManagerApiImport,
  type ResolvedTaskManagerApiOptions,
} from './api/task-manager-api.options.js';
export { TaskManagerExceptionFilter } from './api/task-manager-exception.filter.js';
export { CreateDynamicTaskRequest } from './api/dto/create-dynamic-task.dto.js';
export {
  TaskGroupResponse,
  TaskDetailedResponse,
  TaskRunResponse,
  TaskStatisticsSummaryResponse,
  TaskStatisticsResponse,
  AffectedTaskResponse,
  TaskActionResponse,
  RegisteredFunctionInfoResponse,
  RegisteredFunctionsResponse,
  DynamicTaskResponse,
} from './api/dto/task.responses.js';
export { HealthResponse, ConfigResponse, ErrorResponse, WorkerResponse } from './api/dto/system.responses.js';
export { TaskManagerEvents } from './engine/task-manager-events.js';
export type {
  TaskManagerEventMap,
  TaskManagerEventName,
  TaskManagerEventListener,
  RunEventBase,
} from './engine/task-manager-events.js';
