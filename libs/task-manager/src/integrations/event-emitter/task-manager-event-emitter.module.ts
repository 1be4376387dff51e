import { Module } from '@nestjs/common';
import { TaskManagerEventBridge } from './task-manager-event.bridge.js';

/**
 * Forwards every task manager event to @nestjs/event-emitter (an optional peer dependency) as
 * `task-manager.<name>`, e.g. `@OnEvent('task-manager.run.failed')`. Import it next to
 * `EventEmitterModule.forRoot()` and `TaskManagerModule` (both global by default). Payloads are typed by
 * `TaskManagerEventMap`: `@OnEvent('task-manager.run.failed') onFailed(e: TaskManagerEventMap['run.failed'])`.
 */
@Module({ providers: [TaskManagerEventBridge] })
export class TaskManagerEventEmitterModule {}
