/**
 * `nestjs-task-manager/event-emitter`: forwards task manager events to @nestjs/event-emitter.
 * Needs the optional peer dependency `@nestjs/event-emitter` (never loaded by the main entry point).
 */
export { TaskManagerEventEmitterModule } from './task-manager-event-emitter.module.js';
export { TaskManagerEventBridge, TASK_MANAGER_EVENT_PREFIX } from './task-manager-event.bridge.js';
