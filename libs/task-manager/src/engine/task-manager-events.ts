import { Inject, Injectable, Logger, Optional, type LoggerService } from '@nestjs/common';
import { TASK_MANAGER_LOGGER } from '../task-manager.constants.js';

/** Identifies a run in events. */
export interface RunEventBase {
  groupName: string;
  taskName: string;
  taskId: string;
  runId: string;
  /** The cron slot (or trigger time) the run executes. */
  scheduledAt: Date;
  attempt: number;
  workerId: string;
  /** Why the run exists: scheduled, misfire, trigger or retry. */
  kind: string;
}

/** Every event the task manager emits, by name. */
export interface TaskManagerEventMap {
  /** A handler starts; `latenessMs` = start − slot. */
  'run.started': RunEventBase & { latenessMs: number };
  /** A handler finished successfully. */
  'run.succeeded': RunEventBase & { durationMs: number };
  /** A handler threw, timed out (`timedOut`: its `timeoutMs` elapsed) or had invalid kwargs. */
  'run.failed': RunEventBase & { durationMs: number; error: string; timedOut: boolean };
  /**
   * A run ended here without an outcome: aborted by shutdown, or its lease was lost (this process froze and
   * the run was recovered elsewhere). Another instance executes it again.
   */
  'run.aborted': RunEventBase & { reason: 'shutdown' | 'lease-lost' };
  /** This instance became the leader. */
  'leadership.gained': { workerId: string; epoch: number };
  /** This instance stopped being the leader (`voluntary`: it released on shutdown). */
  'leadership.lost': { workerId: string; reason: string; voluntary: boolean };
  /** Runs of a dead worker were re-published by this (leader) instance. */
  'runs.reclaimed': { workerId: string; taskIds: string[] };
  /** An admin action went through the management HTTP API on this instance (emitted by the API layer). */
  'admin.action': AdminActionEvent;
}

/** An action of the management HTTP API that changes something. */
export type AdminAction =
  'enable' | 'disable' | 'trigger' | 'reset-retry' | 'clear-statistics' | 'create' | 'update' | 'delete';

/** One admin action through the management HTTP API, after the service answered. */
export interface AdminActionEvent {
  action: AdminAction;
  /** The tasks it aimed at: the filter of a bulk action, the group and name of a create / update / delete. */
  filter: { groupName?: string; name?: string; tag?: string };
  /** Tasks changed (0 when the action was refused, e.g. no task matched). */
  affected: number;
  /** The tasks changed. */
  tasks: Array<{ groupName: string; taskName: string }>;
  /**
   * Who asked, as the guards expose it: `request.user` (its `id`, `sub`, `username`, `name` or `email`, or
   * the string itself), else the remote address.
   */
  caller: string;
  /** Why the action was refused (e.g. `No task matches name="nope"`), when it was. */
  error?: string;
}

export type TaskManagerEventName = keyof TaskManagerEventMap;
export type TaskManagerEventListener<E extends TaskManagerEventName> = (event: TaskManagerEventMap[E]) => void;
type AnyListener = <E extends TaskManagerEventName>(name: E, event: TaskManagerEventMap[E]) => void;

/**
 * Typed hooks on what the task manager does on this instance. Inject it and subscribe:
 * `events.on('run.failed', (e) => alert(e.error))`. Listeners run synchronously after the fact; an error in
 * a listener is logged and never affects the engine. To receive them through @nestjs/event-emitter
 * (`@OnEvent('task-manager.run.failed')`), import `TaskManagerEventEmitterModule` from
 * `nestjs-task-manager/event-emitter`.
 */
@Injectable()
export class TaskManagerEvents {
  private readonly listeners = new Map<TaskManagerEventName, Set<(event: never) => void>>();
  private readonly anyListeners = new Set<AnyListener>();

  constructor(
    /** The module's logger (the `logger` option), told of a listener that throws. */
    @Optional()
    @Inject(TASK_MANAGER_LOGGER)
    private readonly logger: LoggerService = new Logger('TaskManagerEvents'),
  ) {}

  /** Subscribes `listener` to `name`; returns a function that unsubscribes it. */
  on<E extends TaskManagerEventName>(name: E, listener: TaskManagerEventListener<E>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as (event: never) => void);
    return () => set.delete(listener as (event: never) => void);
  }

  /** Subscribes `listener` to every event. */
  onAny(listener: AnyListener): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }

  /** Emits an event to its listeners (engine use). */
  emit<E extends TaskManagerEventName>(name: E, event: TaskManagerEventMap[E]): void {
    for (const listener of this.listeners.get(name) ?? [])
      this.call(name, () => (listener as TaskManagerEventListener<E>)(event));
    for (const listener of this.anyListeners) this.call(name, () => listener(name, event));
  }

  private call(name: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.logger.error(`A "${name}" listener threw: ${(error as Error).message}`);
    }
  }
}
