import type { LoggerService } from '@nestjs/common';

/** What a task handler receives besides its kwargs. */
export interface TaskContext {
  /** Name of the task group. */
  readonly groupName: string;
  /** Name of the task. */
  readonly taskName: string;
  /** The cron slot this run executes (for a trigger: when it was triggered). */
  readonly scheduledAt: Date;
  /** 1 for the first attempt of a slot, 2+ for retries (`maxAttempts`). */
  readonly attempt: number;
  /** Unique id of the run: the task and its slot. */
  readonly runId: string;
  /** Id of the worker (instance) executing the run. */
  readonly workerId: string;
  /** Aborted when the run times out, loses its lease, or the instance shuts down. */
  readonly signal: AbortSignal;
  /** A logger whose context names the task. */
  readonly logger: LoggerService;
}

/** Signature of a task handler method. */
export type TaskHandler<K = Record<string, unknown>> = (kwargs: K, ctx: TaskContext) => unknown;
