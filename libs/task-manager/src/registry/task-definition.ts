import type { TaskKwargs } from '../decorators/task.decorator.js';
import type { TaskHandler } from '../decorators/task-context.interface.js';
import type { MisfirePolicy } from '../options/task-manager-options.interface.js';
import type { CronSchedule } from '../cron/cron-schedule.js';

/** A task group as registered. */
export interface TaskGroupDefinition {
  readonly name: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly allowParallel?: boolean;
  /** Class that declared the group (for messages). */
  readonly className: string;
}

/** A function usable by dynamic tasks. */
export interface RegisteredFunction {
  readonly groupName: string;
  /** Name listed by `GET /functions` and stored in dynamic task definitions. */
  readonly name: string;
  /** Another name it is found under when different (the method name), accepted but never listed. */
  readonly alias?: string;
  readonly handler: TaskHandler;
  /** class-validator DTO validating the kwargs, when declared. */
  readonly kwargsType?: new () => object;
  /** `Class.method`, for messages. */
  readonly source: string;
}

/** A task with every option resolved (task > group > module). */
export interface TaskDefinition {
  /** Redis identity, see `encodeTaskId`. */
  readonly id: string;
  readonly groupName: string;
  readonly name: string;
  readonly expression: string;
  readonly timeZone: string;
  readonly schedule: CronSchedule;
  readonly kwargs: TaskKwargs | null;
  readonly description: string | null;
  readonly tags: readonly string[];
  readonly highPriority: boolean;
  /** Whether a run may start while another of this task is queued or running (task > group > module). */
  readonly allowParallel: boolean;
  /** The task's own allowParallel as declared (null: it inherits the group's, then the module's). */
  readonly allowParallelOverride: boolean | null;
  /** Per-task override as declared (null: module default applies). */
  readonly retryBackoff: number | null;
  readonly retryBackoffMax: number | null;
  readonly misfirePolicy: MisfirePolicy;
  readonly maxAttempts: number;
  readonly timeoutMs: number | null;
  /**
   * Declared `@Task(..., { disabled: true })`: paused from its first registration until enabled (the state is
   * kept in Redis: an enable survives restarts).
   */
  readonly declaredDisabled?: boolean;
  /** True for tasks created at runtime (persisted in Redis). */
  readonly dynamic: boolean;
  /** Dynamic tasks: version of the stored definition this one was built from (see `definitionVersion`). */
  readonly definitionVersion?: string;
  /** Registered function name (dynamic tasks), else null. */
  readonly functionName: string | null;
  /** class-validator DTO the kwargs are validated against before each run (dynamic tasks of such functions). */
  readonly kwargsType?: new () => object;
  readonly handler: TaskHandler;
  /** `Class.method`, for messages. */
  readonly source: string;
}
