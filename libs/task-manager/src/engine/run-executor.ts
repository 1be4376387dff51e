import type { LoggerService } from '@nestjs/common';
import type { TaskContext } from '../decorators/task-context.interface.js';
import type { TaskDefinition } from '../registry/task-definition.js';
import type { RunMessage, RunOutcome } from './coordination.port.js';
import { runIdOf } from '../registry/task-id.js';
import { validateKwargs } from '../registry/kwargs-validator.js';
import { ClusterClock } from './cluster-clock.js';
import { withDeadline } from './with-timeout.js';
import { scopedLogger } from './scoped-logger.js';
import { realTimers, type EngineTimers } from './timers.js';

/** Why a run's signal was aborted. */
export type AbortCause = 'timeout' | 'shutdown' | 'lease-lost';

/** Error used as the abort reason of a run's signal. */
export class RunAbortedError extends Error {
  override readonly name = 'RunAbortedError';
  constructor(
    readonly abortCause: AbortCause,
    message: string,
  ) {
    super(message);
  }
}

/** What the executor works with. */
export interface RunExecutorDeps {
  workerId: string;
  /** The module's logger: `ctx.logger` writes to it, with the task as context. */
  logger: LoggerService;
  /** The start time recorded in the history is a cluster (server) time. */
  clock?: ClusterClock;
  timers?: EngineTimers;
}

/**
 * Invokes one task handler with `(kwargs, ctx)` and turns its end into an outcome. A `timeoutMs` aborts the
 * signal and ends the run as failed without waiting for a handler that ignores the signal.
 */
export class RunExecutor {
  private readonly workerId: string;
  private readonly logger: LoggerService;
  private readonly clock: ClusterClock;
  private readonly timers: EngineTimers;

  /** (No settings: a run's bounds are its task's.) */
  constructor(deps: RunExecutorDeps) {
    this.workerId = deps.workerId;
    this.logger = deps.logger;
    this.timers = deps.timers ?? realTimers;
    this.clock = deps.clock ?? new ClusterClock(this.timers);
  }

  /**
   * The handler's kwargs: the run's own (a trigger with arguments) or its task's, validated against the
   * function's DTO (and transformed to it) when one is declared.
   */
  private async kwargsFor(task: TaskDefinition, run: RunMessage): Promise<Record<string, unknown>> {
    const kwargs = run.kwargs ?? task.kwargs ?? {};
    if (!task.kwargsType) return kwargs;
    const validation = await validateKwargs(task.kwargsType, kwargs);
    if (!validation.ok) throw new InvalidKwargsError(`invalid kwargs: ${validation.problems.join('; ')}`);
    return validation.value as Record<string, unknown>;
  }

  async execute(task: TaskDefinition, run: RunMessage, controller: AbortController): Promise<RunOutcome> {
    const startedAt = this.clock.now();
    const startedLocally = this.timers.monotonic();
    const ctx: TaskContext = {
      groupName: task.groupName,
      taskName: task.name,
      scheduledAt: new Date(run.slot),
      attempt: run.attempt,
      runId: runIdOf(task.id, run.slot, run.attempt),
      workerId: this.workerId,
      signal: controller.signal,
      logger: scopedLogger(this.logger, `Task ${task.groupName}/${task.name}`),
    };
    try {
      const kwargs = await this.kwargsFor(task, run);
      const result = Promise.resolve().then(() => task.handler(kwargs, ctx));
      if (task.timeoutMs !== null) {
        const timeoutMs = task.timeoutMs;
        await withDeadline(
          result,
          timeoutMs,
          () => {
            const reason = new RunAbortedError('timeout', `timed out after ${timeoutMs} ms`);
            controller.abort(reason);
            return reason;
          },
          this.timers,
        );
      } else {
        await result;
      }
      return {
        status: 'success',
        startedAt,
        durationSeconds: (this.timers.monotonic() - startedLocally) / 1000,
        error: null,
      };
    } catch (error) {
      return {
        status: 'failed',
        startedAt,
        durationSeconds: (this.timers.monotonic() - startedLocally) / 1000,
        error: describeError(error),
        stack: error instanceof Error ? error.stack : undefined,
      };
    }
  }
}

/** Raised when the kwargs of a dynamic task no longer pass its function's DTO. */
class InvalidKwargsError extends Error {
  override readonly name = 'InvalidKwargsError';
}

function describeError(error: unknown): string {
  const text =
    error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
  return text.slice(0, 2000);
}
