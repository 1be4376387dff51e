import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { TaskManagerEvents } from '../../engine/task-manager-events.js';
import { integrationMessages as messages } from '../shared/integrations.messages.js';

/** Prefix of the forwarded event names: `task-manager.run.succeeded`, `task-manager.leadership.gained`... */
export const TASK_MANAGER_EVENT_PREFIX = 'task-manager.';

/**
 * Forwards every `TaskManagerEvents` event to the application's EventEmitter2 as `task-manager.<name>`,
 * with the same payload, from module init until the application has shut down (so the final
 * `leadership.lost` and the runs drained on shutdown are forwarded too).
 */
@Injectable()
export class TaskManagerEventBridge implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TaskManagerEventBridge.name);
  private unsubscribe?: () => void;

  constructor(
    private readonly events: TaskManagerEvents,
    @Optional() @Inject(EventEmitter2) private readonly emitter?: EventEmitter2,
  ) {}

  onModuleInit(): void {
    const emitter = this.emitter;
    if (!emitter) {
      this.logger.warn(messages.eventEmitterMissing());
      return;
    }
    this.unsubscribe ??= this.events.onAny((name, event) => {
      emitter.emit(TASK_MANAGER_EVENT_PREFIX + name, event);
    });
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
