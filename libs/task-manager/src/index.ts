/**
 * `nestjs-task-manager`: the module, its decorators and service, the types they take and return, the errors they
 * throw and the events they emit. Test helpers (Redis key layout, task ids) are in `nestjs-task-manager/testing`;
 * offline operations on a stopped deployment (the repartition) in `nestjs-task-manager/ops`.
 */
export { TaskManagerModule } from './task-manager.module.js';
export type { TaskManagerModuleExtras } from './task-manager.module-definition.js';
export type {
  TaskManagerModuleOptions,
  TaskManagerRedisOptions,
  TaskManagerRedisClusterOptions,
  MisfirePolicy,
} from './options/task-manager-options.interface.js';
export type { TaskManagerConfig, RedactedRedisOptions } from './options/task-manager-config.js';

export { TaskGroup, type TaskGroupOptions } from './decorators/task-group.decorator.js';
export { Task, type TaskOptions, type TaskKwargs } from './decorators/task.decorator.js';
export { RegisterFunction, type RegisterFunctionOptions } from './decorators/register-function.decorator.js';
export type { TaskContext, TaskHandler } from './decorators/task-context.interface.js';

export { TaskManagerService } from './task-manager.service.js';
export type {
  TaskView,
  TaskRef,
  TaskFilter,
  TaskPage,
  TaskManagerHealth,
  TriggerOptions,
  PartitionLeaderInfo,
} from './task-manager.service.js';
export type { TaskDefinition, TaskGroupDefinition, RegisteredFunction } from './registry/task-definition.js';
export type { CreateDynamicTaskInput, DynamicTaskRecord, UpdateDynamicTaskInput } from './registry/dynamic-task.js';
export type { RunRecord, TaskState, WorkerInfo } from './engine/coordination.port.js';

export { TaskManagerError } from './errors/task-manager.error.js';
export { TaskManagerConfigurationError } from './errors/task-manager-configuration.error.js';
export { RedisUnreachableError } from './errors/redis-unreachable.error.js';
export { TaskNotFoundError } from './errors/task-not-found.error.js';
export { InvalidTaskDefinitionError } from './errors/invalid-task-definition.error.js';
export { TaskConflictError } from './errors/task-conflict.error.js';
export { StaticTaskError } from './errors/static-task.error.js';
export { KwargsTooLargeError } from './errors/kwargs-too-large.error.js';
export { RunAbortedError, type AbortCause } from './engine/run-executor.js';

export { TaskManagerEvents } from './engine/task-manager-events.js';
export type {
  TaskManagerEventMap,
  TaskManagerEventName,
  TaskManagerEventListener,
  RunEventBase,
  AdminAction,
  AdminActionEvent,
} from './engine/task-manager-events.js';

export { TaskManagerApiModule } from './api/task-manager-api.module.js';
export { TaskManagerExceptionFilter } from './api/task-manager-exception.filter.js';
export type {
  TaskManagerApiOptions,
  TaskManagerDashboardOptions,
  TaskManagerApiGuard,
} from './api/task-manager-api.options.js';
