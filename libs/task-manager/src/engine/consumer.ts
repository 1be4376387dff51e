import type { LoggerService } from '@nestjs/common';
import type { TaskRegistry } from '../registry/task-registry.js';
import type { BackoffPolicy, StartDecision, RunMessage, RunQueuePort } from './coordination.port.js';
import type { HeldRun } from './held-run.js';
import { withTimeout } from './with-timeout.js';
import type { RunEventBase, TaskManagerEvents } from './task-manager-events.js';
import { runIdOf } from '../registry/task-id.js';
import { RunAbortedError, type RunExecutor } from './run-executor.js';

/**
 * Key of a held run: stream ids are per stream, so a high- and a normal-priority run published in the same
 * millisecond share an id; the priority tells them apart.
 */
function heldKey(run: RunMessage): string {
  return `${run.highPriority ? 'h' : 'n'}|${run.messageId}`;
}

/** Delay before a run of a task unknown to this instance is offered again. */
const UNKNOWN_TASK_REQUEUE_MS = 1000;

/** Settings of a worker's consumer. */
export interface ConsumerSettings {
  concurrency: number;
  blockMs: number;
  leaseTtlMs: number;
  backoff: Omit<BackoffPolicy, 'maxAttempts' | 'retryBackoff' | 'retryBackoffMax'> & {
    retryBackoff: number;
    retryBackoffMax: number;
  };
}

/**
 * A worker's run loop: blocks on XREADGROUP (high priority first) for at most as many runs as it has free
 * slots, marks them started, executes them, and records each outcome in one Lua call.
 */
export class Consumer {
  private readonly held = new Map<string, HeldRun>();
  private stopping = false;
  private loop?: Promise<void>;
  private wakeLoop?: () => void;
  private errorReported = false;

  constructor(
    private readonly port: RunQueuePort,
    private readonly registry: TaskRegistry,
    private readonly executor: RunExecutor,
    private readonly workerId: string,
    private readonly settings: ConsumerSettings,
    private readonly events: Pick<TaskManagerEvents, 'emit'>,
    private readonly logger: LoggerService,
  ) {}

  /** Runs held right now (delivered or executing), for the lease keeper. */
  heldRuns(): HeldRun[] {
    return [...this.held.values()];
  }

  get runningCount(): number {
    let n = 0;
    for (const h of this.held.values()) if (h.started) n++;
    return n;
  }

  start(): void {
    this.stopping = false;
    this.loop ??= this.run().finally(() => (this.loop = undefined));
  }

  /**
   * Stops taking runs, waits up to `timeoutMs` for running handlers, then aborts the rest through their
   * signal. Aborted runs are not recorded: their lease lapses and another instance re-runs them.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.port.interrupt();
    this.wakeLoop?.();
    // The loop ends as soon as its pending read settles; a read stuck on a dead connection must not hold
    // shutdown (it ends with the connection).
    await withTimeout(this.loop ?? Promise.resolve(), 1000);
    const pending = [...this.held.values()].filter((h) => h.started && h.done).map((h) => h.done!);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const result = await Promise.race([Promise.allSettled(pending).then(() => 'drained' as const), timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      for (const h of this.held.values()) {
        if (!h.started) continue;
        this.logger.warn(
          `Shutdown timeout: aborting run ${h.run.taskId}@${h.run.slot}; another instance will re-run it`,
        );
        h.controller.abort(new RunAbortedError('shutdown', 'the instance is shutting down'));
      }
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      this.forgetLostQueued();
      const free = this.settings.concurrency - this.held.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.wakeLoop = resolve));
        continue;
      }
      try {
        const runs = await this.port.read(this.workerId, free, this.settings.blockMs);
        failures = 0;
        this.errorReported = false;
        if (runs.length > 0) await this.accept(runs);
      } catch (error) {
        if (this.stopping) break;
        if (!this.errorReported) this.logger.warn(`Run consumer: ${(error as Error).message}; retrying`);
        this.errorReported = true;
        failures++;
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** failures, 2000)));
      }
    }
  }

  /** A delivered run lost before it started (recovered elsewhere) is not ours any more: forget it. */
  private forgetLostQueued(): void {
    for (const [key, h] of this.held) if (!h.started && h.lost) this.held.delete(key);
  }

  private async accept(runs: RunMessage[]): Promise<void> {
    for (const run of runs) {
      const task = this.registry.getTask(run.taskId);
      if (!task) {
        // Not known here yet (rolling deploy, dynamic task not synced): another instance may know it. A run
        // of a task nobody knows any more is dropped by the leader when it comes due again.
        await this.port.requeue(run, UNKNOWN_TASK_REQUEUE_MS).catch(() => undefined);
        continue;
      }
      this.held.set(heldKey(run), {
        run,
        task,
        started: false,
        lost: false,
        controller: new AbortController(),
      });
    }
    await this.startQueued();
  }

  /**
   * Starts delivered runs while slots are free, high priority first. A read may deliver up to `free` runs
   * per priority; the extra ones wait here (their lease renewed) until a slot frees.
   */
  private async startQueued(): Promise<void> {
    const free = this.settings.concurrency - this.runningCount;
    this.forgetLostQueued();
    const queued = [...this.held.values()].filter((h) => !h.started);
    if (free <= 0 || queued.length === 0 || this.stopping) return;
    const batch = queued.sort((a, b) => Number(b.run.highPriority) - Number(a.run.highPriority)).slice(0, free);
    for (const h of batch) h.started = true;
    let decisions: StartDecision[];
    try {
      decisions = await this.port.start(
        this.workerId,
        batch.map((h) => ({
          run: h.run,
          allowParallel: h.task!.allowParallel,
          dynamic: h.task!.dynamic,
        })),
        this.settings.leaseTtlMs,
      );
    } catch (error) {
      // Not started: drop them here and let their lease lapse; the leader re-publishes them.
      for (const h of batch) this.held.delete(heldKey(h.run));
      throw error;
    }
    batch.forEach((h, i) => {
      if (decisions[i] === 'start') {
        h.done = this.execute(h);
        return;
      }
      // 'busy' (re-queued for later), 'deleted' (dropped) or 'lost' (recovered elsewhere): not ours any more.
      this.held.delete(heldKey(h.run));
    });
  }

  private async execute(held: HeldRun): Promise<void> {
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
      this.events.emit('run.started', { ...base, latenessMs: Date.now() - run.slot });
      const outcome = await this.executor.execute(task, run, held.controller);
      const reason = held.controller.signal.reason;
      if (held.lost || (reason instanceof RunAbortedError && reason.abortCause === 'shutdown')) {
        this.events.emit('run.aborted', { ...base, reason: held.lost ? 'lease-lost' : 'shutdown' });
        return;
      }
      const durationMs = Math.round(outcome.durationSeconds * 1000);
      if (outcome.status === 'success') this.events.emit('run.succeeded', { ...base, durationMs });
      else this.events.emit('run.failed', { ...base, durationMs, error: outcome.error ?? 'failed' });
      const backoff: BackoffPolicy = {
        retryBackoff: task.retryBackoff ?? this.settings.backoff.retryBackoff,
        retryBackoffMax: task.retryBackoffMax ?? this.settings.backoff.retryBackoffMax,
        retryBackoffMultiplier: this.settings.backoff.retryBackoffMultiplier,
        maxAttempts: task.maxAttempts,
      };
      const result = await this.recordWithRetry(held, outcome, backoff);
      if (result === 'lost')
        this.logger.warn(
          `Run ${task.id}@${held.run.slot} finished after it was taken over; its outcome is not recorded twice`,
        );
      if (outcome.status === 'failed') this.logger.warn(`Task ${task.groupName}/${task.name} failed: ${outcome.error}`);
    } catch (error) {
      this.logger.error(`Could not record run ${task.id}@${held.run.slot}: ${(error as Error).message}`);
    } finally {
      this.held.delete(heldKey(held.run));
      await this.startQueued().catch((error: Error) =>
        this.logger.warn(`Could not start queued runs: ${error.message}`),
      );
      this.wakeLoop?.();
      this.wakeLoop = undefined;
    }
  }

  /** Records the outcome, retrying through short Redis outages (the lease keeps the run ours meanwhile). */
  private async recordWithRetry(
    held: HeldRun,
    outcome: Parameters<RunQueuePort['complete']>[2],
    backoff: BackoffPolicy,
  ) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.port.complete(this.workerId, held.run, outcome, backoff);
      } catch (error) {
        if (attempt >= 20 || held.lost) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 3000)));
      }
    }
  }
}
