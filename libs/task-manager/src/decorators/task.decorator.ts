import { TASK_METADATA } from '../task-manager.constants.js';
import type { MisfirePolicy } from '../options/task-manager-options.interface.js';

/** Keyword arguments passed to a task handler. */
export type TaskKwargs = Record<string, unknown>;

/** Options of `@Task()`. Durations are seconds unless the name ends in `Ms`. */
export interface TaskOptions {
  /**
   * Task name, unique in its group; it keys the task's state in Redis, keep it stable. Defaults to the method
   * name. When the declaration makes several tasks they are named `<name>-1`, `<name>-2`... (expressions in
   * order, each with each kwargs entry in order).
   */
  name?: string;
  /** Description shown by the management API. */
  description?: string;
  /** Tags, merged with the group's tags. */
  tags?: string[];
  /** Keyword arguments passed to the handler; a list makes one task per entry (times each expression). */
  kwargs?: TaskKwargs | TaskKwargs[];
  /**
   * Runs of high-priority tasks are consumed before any normal run.
   * @default false
   */
  highPriority?: boolean;
  /** First backoff delay after a failure, in seconds (overrides the module's `retryBackoff`). */
  retryBackoff?: number;
  /** Largest backoff delay, in seconds (overrides the module's `retryBackoffMax`). */
  retryBackoffMax?: number;
  /** Whether a run may start while a previous run of this task is queued or running. */
  allowParallel?: boolean;
  /**
   * Also register the method as a function usable by dynamic tasks.
   * @default true
   */
  register?: boolean;
  /** IANA time zone of the cron expression (defaults to the module's `timeZone`, UTC). */
  timeZone?: string;
  /** What to do with slots missed while no leader ran (defaults to the module's `misfirePolicy`). */
  misfirePolicy?: MisfirePolicy;
  /**
   * Attempts per scheduled slot: a failed run is re-run after its backoff delay until this many attempts failed.
   * @default 1
   */
  maxAttempts?: number;
  /** Abort the handler's signal and record a failure when a run takes longer than this. */
  timeoutMs?: number;
  /**
   * Declared but paused until enabled (`TaskManagerService.enable`, `POST /tasks/enable`, the dashboard). The
   * state is kept in Redis: the task starts disabled the first time it is registered only, so an enable
   * survives restarts and deploys.
   * @default false
   */
  disabled?: boolean;
}

/** One `@Task()` declaration as stored in metadata. */
export interface TaskDeclaration {
  expressions: string[];
  options: TaskOptions;
}

/**
 * Schedules the decorated method with one cron expression (5 fields, or 6 with seconds) or several.
 * Each expression (times each kwargs entry) becomes one task. The method receives `(kwargs, ctx)`.
 * Decorators may be stacked on one method.
 */
export function Task(expression: string | string[], options: TaskOptions = {}): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const declarations: TaskDeclaration[] = Reflect.getMetadata(TASK_METADATA, descriptor.value) ?? [];
    const expressions = Array.isArray(expression) ? [...expression] : [expression];
    Reflect.defineMetadata(TASK_METADATA, [...declarations, { expressions, options }], descriptor.value);
    return descriptor;
  };
}
