/** Injection token of the resolved (validated, defaulted) module options. */
export const TASK_MANAGER_RESOLVED_OPTIONS = Symbol('nestjs-task-manager:resolved-options');
/** Injection token of the coordination port (the Redis driver by default). */
export const TASK_MANAGER_COORDINATION = Symbol('nestjs-task-manager:coordination');
/** Injection token of this instance's `WorkerIdentity`. */
export const TASK_MANAGER_WORKER = Symbol('nestjs-task-manager:worker');
/** Injection token through which a custom Nest `LoggerService` can replace the default logger. */
export const TASK_MANAGER_LOGGER = Symbol('nestjs-task-manager:logger');

/** Metadata key of `@TaskGroup()` on a class. */
export const TASK_GROUP_METADATA = 'nestjs-task-manager:task-group';
/** Metadata key of `@Task()` declarations on a method (an array, decorators stack). */
export const TASK_METADATA = 'nestjs-task-manager:task';
/** Metadata key of `@RegisterFunction()` on a method. */
export const REGISTER_FUNCTION_METADATA = 'nestjs-task-manager:register-function';

/** Default consumer-group / service name (FastAPI Task Manager's `worker_service_name`, with our name). */
export const DEFAULT_WORKER_SERVICE_NAME = 'nest-task-manager';
/** Oldest Redis server version the engine runs on (XAUTOCLAIM, Lua effects replication). */
export const MIN_REDIS_VERSION = '6.2.0';
