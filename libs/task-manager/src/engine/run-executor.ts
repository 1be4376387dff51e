import { Logger, type LoggerService } from '@nestjs/common';
import type { TaskContext } from '../decorators/task-context.interface.js';
import type { TaskDefinition } from '../registry/task-definition.js';
import type { RunMessage, RunOutcome } from './coordination.port.js';
import { runIdOf } from '../registry/task-id.js';
import { validateKwargs } from '../registry/kwargs-validator.js';

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

/**
 * Invokes one task handler with `(kwargs, ctx)` and turns its end into an outcome. A `timeoutMs` aborts the
 * signal and ends the run as failed without waiting for a handler that ignores the signal.
 */
export class RunExecutor {
  constructor(
    private readonly workerId: string,
    private readonly loggerFactory: (context: string) => LoggerService = (context) => new Logger(context),
  ) {}

  /** The handler's kwargs: validated against the function's DTO (and transformed to it) when one is declared. */
  private async kwargsFor(task: TaskDefinition): Promise<Record<string, unknown>> {
    const kwargs = task.kwargs ?? {};
    if (!task.kwargsType) return kwargs;
    const validation = await validateKwargs(task.kwargsType, kwargs);
    if (!validation.ok) throw new InvalidKwargsError(`invalid kwargs: ${validation.problems.join('; ')}`);
    return validation.value as Record<string, unknown>;
  }

  async execute(task: TaskDefinition, run: RunMessage, controller: AbortController): Promise<RunOutcome> {
    const startedAt = Date.now();
    const ctx: TaskContext = {
      groupName: task.groupName,
      taskName: task.name,
      scheduledAt: new Date(run.slot),
      attempt: run.attempt,
      runId: runIdOf(task.id, run.slot, run.attempt),
      workerId: this.workerId,
      signal: controller.signal,
      logger: this.loggerFactory(`Task ${task.groupName}/${task.name}`),
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      const kwargs = await this.kwargsFor(task);
      const result = Promise.resolve().then(() => task.handler(kwargs, ctx));
      if (task.timeoutMs !== null) {
        const timeoutMs = task.timeoutMs;
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const reason = new RunAbortedError('timeout', `timed out after ${timeoutMs} ms`);
            controller.abort(reason);
            reject(reason);
          }, timeoutMs);
        });
        result.catch(() => undefined);
        await Promise.race([result, timedOut]);
      } else {
        await result;
      }
      return {
        status: 'success',
        startedAt,
        durationSeconds: (Date.now() - startedAt) / 1000,
        error: null,
      };
    } catch (error) {
      return {
        status: 'failed',
        startedAt,
        durationSeconds: (Date.now() - startedAt) / 1000,
        error: describeError(error),
      };
    } finally {
      clearTimeout(timer);
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
