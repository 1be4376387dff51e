import type { LoggerService } from '@nestjs/common';
import { runIdOf } from '../registry/task-id.js';
import { ClusterClock } from './cluster-clock.js';
import { backoffPolicyOf, type BackoffDefaults } from './backoff-delay.js';
import { retryPause, type RetryPace } from './retry-pace.js';
import type { BackoffPolicy, RunOutcome, RunQueuePort } from './coordination.port.js';
import type { HeldRun } from './held-run.js';
import { RunAbortedError, type RunExecutor } from './run-executor.js';
import type { RunEventBase, TaskManagerEvents } from './task-manager-events.js';
import { realTimers, sleep, type EngineTimers } from './timers.js';
import { outcomeLeaseLimit } from '../wire/lease-limit.js';

/** What a run lifecycle works with, and what it tells and asks the rest of the engine. */
export interface RunLifecycleDeps {
  port: RunQueuePort;
  executor: RunExecutor;
  workerId: string;
  events: Pick<TaskManagerEvents, 'emit'>;
  logger: LoggerService;
  /** Lateness (run.started) is measured in cluster time. */
  clock?: ClusterClock;
  timers?: EngineTimers;
  /** A failure was recorded (its retry, if any, is a one-off run for later): the leader must look again. */
  failureRecorded?: () => void;
  /** Reads when a task's retry is due (ms), for the failure log; absent: the log names no retry time. */
  readRetryAfter?: (taskId: string) => Promise<number | null>;
}

/** What a run lifecycle needs of the consumer's settings. */
export interface RunLifecycleSettings {
  backoff: BackoffDefaults;
  /** Pause between attempts to record an outcome through a Redis outage, doubling; at most `attempts`. */
  recordRetry: RetryPace & { attempts: number };
}

/**
 * One started run, from its handler to its recorded outcome: the run events, the handler (RunExecutor), and
 * `complete-runs`, retried through short Redis outages. A run no longer this worker's (lost, given up, or
 * aborted by shutdown and handed back) is not recorded.
 */
export class RunLifecycle {
  private readonly port: RunQueuePort;
  private readonly executor: RunExecutor;
  private readonly workerId: string;
  private readonly events: Pick<TaskManagerEvents, 'emit'>;
  private readonly logger: LoggerService;
  private readonly clock: ClusterClock;
  private readonly timers: EngineTimers;
  private readonly hooks: Pick<RunLifecycleDeps, 'failureRecorded' | 'readRetryAfter'>;

  constructor(
    deps: RunLifecycleDeps,
    private readonly settings: RunLifecycleSettings,
  ) {
    this.port = deps.port;
    this.executor = deps.executor;
    this.workerId = deps.workerId;
    this.events = deps.events;
    this.logger = deps.logger;
    this.timers = deps.timers ?? realTimers;
    this.clock = deps.clock ?? new ClusterClock(this.timers);
    this.hooks = { failureRecorded: deps.failureRecorded, readRetryAfter: deps.readRetryAfter };
  }

  async run(held: HeldRun): Promise<void> {
    const task = held.task!;
    const { run } = held;
    const base: RunEventBase = {
      groupName: task.groupName,
      taskName: task.name,
      taskId: task.id,
      runId: runIdOf(task.id, run.slot, run.attempt),
      scheduledAt: new Date(run.slot),
      attempt: run.attempt,
      workerId: this.workerId,
      kind: run.kind,
    };
    try {
      this.events.emit('run.started', { ...base, latenessMs: this.clock.now() - run.slot });
      const outcome = await this.executor.execute(task, run, held.controller);
      held.completing = true;
      const reason = held.controller.signal.reason;
      if (held.lost || (reason instanceof RunAbortedError && reason.abortCause === 'shutdown')) {
        this.events.emit('run.aborted', { ...base, reason: held.lost ? 'lease-lost' : 'shutdown' });
        return;
      }
      const durationMs = Math.round(outcome.durationSeconds * 1000);
      const timedOut = reason instanceof RunAbortedError && reason.abortCause === 'timeout';
      if (outcome.status === 'success') this.events.emit('run.succeeded', { ...base, durationMs });
      else this.events.emit('run.failed', { ...base, durationMs, error: outcome.error ?? 'failed', timedOut });
      const result = await this.recordWithRetry(held, outcome, backoffPolicyOf(task, this.settings.backoff));
      if (outcome.status === 'failed' && (result === 'recorded' || result === 'recordedAfterLoss'))
        this.hooks.failureRecorded?.();
      if (result === 'lost')
        this.logger.warn(
          `Run ${task.id}@${held.run.slot} finished after it was taken over (or its data was wiped after its ` +
            'outcome may have been recorded); its outcome is not recorded twice',
        );
      if (result === 'deleted')
        this.logger.log(`Run ${task.id}@${held.run.slot} finished after its task was deleted; nothing is recorded`);
      if (outcome.status === 'failed') await this.logFailure(held, outcome, result !== 'lost' && result !== 'deleted');
    } catch (error) {
      this.logger.error(`Could not record run ${task.id}@${held.run.slot}: ${(error as Error).message}`);
    }
  }

  /**
   * The failure log: one warning with the attempt and, when a retry was scheduled, its due time; the stack
   * trace follows at debug level.
   */
  private async logFailure(held: HeldRun, outcome: RunOutcome, recorded: boolean): Promise<void> {
    const task = held.task!;
    const { attempt } = held.run;
    const head = `Task ${task.groupName}/${task.name} failed (attempt ${attempt} of ${task.maxAttempts})`;
    let retry = '';
    if (recorded && attempt < task.maxAttempts) {
      const retryAfter = await this.hooks.readRetryAfter?.(task.id).catch(() => null);
      retry = retryAfter ? `; retry at ${new Date(retryAfter).toISOString()}` : '; retry scheduled';
    } else if (recorded) {
      retry = '; no attempt left';
    }
    this.logger.warn(`${head}: ${outcome.error}${retry}`);
    if (outcome.stack) this.logger.debug?.(`${head}: ${outcome.stack}`);
  }

  /**
   * Records the outcome, retrying through short Redis outages (the lease keeps the run ours meanwhile). Every
   * sending carries the same lease limit, capped so that one carried out before a wipe is not recorded again
   * after it (wire/lease-limit.ts, outcomeLeaseLimit).
   */
  private async recordWithRetry(
    held: HeldRun,
    outcome: Parameters<RunQueuePort['complete']>[2],
    backoff: BackoffPolicy,
  ) {
    const run = { ...held.run, leaseUntil: outcomeLeaseLimit(held.run, outcome, backoff, this.clock.now()) };
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.port.complete(this.workerId, run, outcome, backoff, held.task?.dynamic);
      } catch (error) {
        if (attempt >= this.settings.recordRetry.attempts || held.lost) throw error;
        await sleep(this.timers, retryPause(this.settings.recordRetry, attempt));
      }
    }
  }
}
