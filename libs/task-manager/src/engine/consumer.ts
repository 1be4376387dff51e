import type { LoggerService } from '@nestjs/common';
import type { TaskRegistry } from '../registry/task-registry.js';
import type { StartDecision, RunMessage, RunQueuePort } from './coordination.port.js';
import { heldKey, type HeldRun } from './held-run.js';
import { withTimeout } from './with-timeout.js';
import type { TaskManagerEvents } from './task-manager-events.js';
import { RunAbortedError, type RunExecutor } from './run-executor.js';
import { retryPause, type RetryPace } from './retry-pace.js';
import { RunLifecycle, type RunLifecycleSettings } from './run-lifecycle.js';
import type { ClusterClock } from './cluster-clock.js';
import { realTimers, sleep, type EngineTimers } from './timers.js';

/** Settings of a worker's consumer (see engineSettings for each policy). */
export interface ConsumerSettings extends RunLifecycleSettings {
  concurrency: number;
  blockMs: number;
  leaseTtlMs: number;
  /** A start answered later than this after it was sent is not trusted (see the lease keeper's give-up). */
  leaseGiveUpMs: number;
  /** Delay before a run of a task unknown to this instance is offered again. */
  unknownTaskRequeueMs: number;
  /** At shutdown, how long handlers aborted by the timeout get to settle before their runs are handed back. */
  abortGraceMs: number;
  /** How long a run that left this worker is remembered (a late re-read of the pending runs may return it). */
  finishedMemoryMs: number;
  /** Longest wait for the hand-back at shutdown (a run not handed back is recovered by the leader's sweep). */
  handBackTimeoutMs: number;
  /** Longest wait at shutdown for the pending read to settle (one stuck on a dead connection ends with it). */
  loopExitWaitMs: number;
  /** Pause after a failed read, doubling per failure. */
  readRetry: RetryPace;
}

/** What the consumer works with. */
export interface ConsumerDeps {
  port: RunQueuePort;
  registry: TaskRegistry;
  executor: RunExecutor;
  workerId: string;
  events: Pick<TaskManagerEvents, 'emit'>;
  logger: LoggerService;
  clock?: ClusterClock;
  /** Called when runs are taken or started (the lease keeper renews the new set, before any handler runs). */
  heldChanged?: () => void;
  /**
   * Called when runs leave (finished, forgotten): the lease keeper may learn it a moment later, once for all
   * that left together (renewing a released run once more is harmless). Default: `heldChanged`.
   */
  heldReleased?: () => void;
  /** Brings the dynamic task definitions held here up to date when they may be stale (a notice missed). */
  refreshDefinitions?: () => Promise<void>;
  timers?: EngineTimers;
  /**
   * A run was put back on the one-off queue for later (busy, unknown here, a retry after a failure): the
   * leader's scheduler must look again, nothing else tells it.
   */
  runsDeferred?: () => void;
  /** Reads when a task's retry is due (ms), for the failure log. */
  readRetryAfter?: (taskId: string) => Promise<number | null>;
}

/**
 * A worker's run loop: blocks on XREADGROUP (high priority first) for at most as many runs as it has free
 * slots, marks them started, executes them, and records each outcome in one Lua call.
 */
export class Consumer {
  private readonly held = new Map<string, HeldRun>();
  /** Runs given up here (their lease could not be renewed in time), to hand back once Redis answers. */
  private readonly toHandBack = new Map<string, RunMessage>();
  /** Keys of runs that left this worker lately, with when (see `finishedMemoryMs`). */
  private readonly finished = new Map<string, number>();
  private stopping = false;
  private loop?: Promise<void>;
  private wakeLoop?: () => void;
  private errorReported = false;

  private readonly lifecycle: RunLifecycle;
  private readonly port: RunQueuePort;
  private readonly registry: TaskRegistry;
  private readonly workerId: string;
  private readonly logger: LoggerService;
  private readonly heldChanged: () => void;
  private readonly heldReleased: () => void;
  private readonly refreshDefinitions?: () => Promise<void>;
  private readonly timers: EngineTimers;
  private readonly runsDeferred: () => void;

  constructor(
    deps: ConsumerDeps,
    private readonly settings: ConsumerSettings,
  ) {
    this.port = deps.port;
    this.registry = deps.registry;
    this.workerId = deps.workerId;
    this.logger = deps.logger;
    this.heldChanged = deps.heldChanged ?? (() => undefined);
    this.heldReleased = deps.heldReleased ?? this.heldChanged;
    this.refreshDefinitions = deps.refreshDefinitions;
    this.timers = deps.timers ?? realTimers;
    this.runsDeferred = deps.runsDeferred ?? (() => undefined);
    const { port, executor, workerId, events, logger, clock, timers, readRetryAfter } = deps;
    this.lifecycle = new RunLifecycle(
      { port, executor, workerId, events, logger, clock, timers, failureRecorded: this.runsDeferred, readRetryAfter },
      settings,
    );
  }

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
   * signal. Aborted runs are not recorded: they are handed back at once (re-published for another instance),
   * with the runs delivered here but not started and those given up earlier.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.port.interrupt();
    this.wakeLoop?.();
    // The loop ends as soon as its pending read settles; a read stuck on a dead connection must not hold
    // shutdown (it ends with the connection).
    await withTimeout(this.loop ?? Promise.resolve(), this.settings.loopExitWaitMs, this.timers);
    const pending = [...this.held.values()].filter((h) => h.started && h.done).map((h) => h.done!);
    const drained = await withTimeout(
      Promise.allSettled(pending).then(() => true),
      timeoutMs,
      this.timers,
    );
    const handBack = new Map(this.toHandBack);
    const aborted: Array<Promise<void>> = [];
    for (const [key, h] of this.held) {
      if (h.lost || h.completing) continue;
      if (!h.started) {
        handBack.set(key, h.run);
        continue;
      }
      if (drained) continue;
      this.logger.warn(`Shutdown timeout: aborting run ${h.run.taskId}@${h.run.slot}; handing it back to the cluster`);
      h.controller.abort(new RunAbortedError('shutdown', 'the instance is shutting down'));
      handBack.set(key, h.run);
      if (h.done) aborted.push(h.done);
    }
    if (handBack.size === 0) return;
    // Handlers that honour their signal end now; then another instance may run their slot again.
    await withTimeout(Promise.allSettled(aborted), this.settings.abortGraceMs, this.timers);
    await withTimeout(this.handBack(handBack), this.settings.handBackTimeoutMs, this.timers);
  }

  /** Hands runs back (re-published at once); those not handed back now stay queued for the next try. */
  private async handBack(runs: Map<string, RunMessage>): Promise<void> {
    const list = [...runs.values()];
    let handed: boolean[];
    try {
      handed = await this.port.handBack(this.workerId, list, this.settings.leaseTtlMs);
    } catch (error) {
      // The hand-back may have been applied (only its reply lost), the run published again and run elsewhere.
      // Tried again, it must only take back a run still pending here, never publish one as kept through a wipe:
      // without its data generation, a run whose delivery is gone is not taken for one.
      for (const [key, run] of runs) if (this.toHandBack.has(key)) this.toHandBack.set(key, { ...run, generation: '' });
      throw error;
    }
    for (const key of runs.keys()) this.toHandBack.delete(key);
    const count = handed.filter(Boolean).length;
    if (count > 0) this.logger.log(`Handed ${count} run(s) back to the cluster: ${list[0].taskId}@${list[0].slot}...`);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      this.forgetLostQueued();
      if (this.toHandBack.size > 0) await this.handBack(new Map(this.toHandBack)).catch(() => undefined);
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
        await sleep(this.timers, retryPause(this.settings.readRetry, failures));
      }
    }
  }

  /**
   * A delivered run lost before it started is not ours any more: forget it (one given up because its lease
   * could not be renewed is handed back once Redis answers).
   */
  private forgetLostQueued(): void {
    for (const h of this.held.values()) {
      if (h.started || !h.lost) continue;
      this.leave(h);
      this.heldReleased();
    }
  }

  private async accept(runs: RunMessage[]): Promise<void> {
    // A run of a dynamic (or unknown) task runs the stored definition, not a stale one held here.
    if (this.refreshDefinitions && runs.some((run) => this.registry.getTask(run.taskId)?.dynamic !== false)) {
      await this.refreshDefinitions().catch(() => undefined);
    }
    for (const run of runs) {
      // (Runs re-read after a reconnection include those held already, and may include one just finished.)
      if (this.held.has(heldKey(run)) || this.finished.has(heldKey(run))) continue;
      const task = this.registry.getTask(run.taskId);
      if (!task) {
        // Not known here yet (rolling deploy, dynamic task not synced): another instance may know it. A run
        // of a task nobody knows any more is dropped by the leader when it comes due again.
        await this.port.requeue(run, this.settings.unknownTaskRequeueMs).then(this.runsDeferred, () => undefined);
        continue;
      }
      this.held.set(heldKey(run), {
        run,
        task,
        started: false,
        heldSince: this.timers.now(),
        lost: false,
        controller: new AbortController(),
      });
    }
    this.heldChanged();
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
    const sentAt = this.timers.now();
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
      // Not started (Redis trouble): hand them back once Redis answers (a recovery would count a delivery).
      for (const h of batch) {
        this.forget(h.run);
        this.toHandBack.set(heldKey(h.run), h.run);
      }
      this.heldChanged();
      throw error;
    }
    // An answer that came later than a lease may go unrenewed (the process froze, the link hung) may be stale:
    // the run's lease may have expired meanwhile and the run been recovered elsewhere. Not trusted.
    const late = this.timers.now() - sentAt > this.settings.leaseGiveUpMs;
    batch.forEach((h, i) => {
      if (decisions[i] === 'start' && late && !h.lost) {
        h.lost = true;
        h.expired = true;
        this.logger.warn(
          `Run ${h.run.taskId}@${h.run.slot}: its start was answered ${this.timers.now() - sentAt} ms after it was ` +
            'sent, its lease may have expired meanwhile; not starting it: it may be re-run elsewhere',
        );
      }
      if (decisions[i] === 'start' && h.lost) {
        // Given up while the start was in flight (its lease went unrenewed: another instance may re-run it):
        // never run here; one given up for an unrenewed lease is handed back so it runs soon, once.
        this.leave(h);
        return;
      }
      if (decisions[i] === 'start') {
        h.done = this.execute(h);
        return;
      }
      // 'busy' (re-queued for later), 'deleted' (dropped) or 'lost' (recovered elsewhere): not ours any more.
      this.forget(h.run);
      if (decisions[i] === 'busy') this.runsDeferred();
    });
    // (Synchronously: the heartbeat knows a run started before its handler can block the event loop.)
    this.heldChanged();
  }

  private async execute(held: HeldRun): Promise<void> {
    try {
      await this.lifecycle.run(held);
    } finally {
      this.leave(held);
      this.heldReleased();
      await this.startQueued().catch((error: Error) =>
        this.logger.warn(`Could not start queued runs: ${error.message}`),
      );
      this.wakeLoop?.();
      this.wakeLoop = undefined;
    }
  }

  /**
   * A held run leaves this worker: forgotten, and handed back when it was given up because its lease went
   * unrenewed (nobody may have it: re-published at once rather than at the next recovery).
   */
  private leave(held: HeldRun): void {
    this.forget(held.run);
    if (held.expired) this.toHandBack.set(heldKey(held.run), held.run);
  }

  /** A run leaves this worker for good: no later delivery of its message is run here. */
  private forget(run: RunMessage): void {
    const now = this.timers.now();
    this.held.delete(heldKey(run));
    this.finished.set(heldKey(run), now);
    for (const [key, at] of this.finished) {
      if (now - at <= this.settings.finishedMemoryMs) break;
      this.finished.delete(key);
    }
  }
}
