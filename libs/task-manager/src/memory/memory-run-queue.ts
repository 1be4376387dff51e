import type {
  BackoffPolicy,
  CompletionResult,
  HeartbeatResult,
  HeldLease,
  RunMessage,
  RunOutcome,
  RunQueuePort,
  StartDecision,
  WorkerDescription,
} from '../engine/coordination.port.js';
import { completeRun, type HistoryLimits } from './memory-run-completion.js';
import { toRunMessage, type MemoryStore, type MemoryStream } from './memory-store.js';
import { encodeOneOffEntry, type OneOffEntry } from '../wire/one-off-entry.js';
import { runTag } from '../wire/run-tag.js';
import { RotatingStart } from '../engine/rotating-start.js';

/**
 * The two run queues as seen by one worker, in memory (each partition's: a run lives in its task's). A run's lease is the time since its delivery was
 * last touched (delivery, start, heartbeat), exactly like a stream message's idle time in Redis; the
 * leader re-publishes runs whose lease expired (`MemorySchedule.reclaimExpired`).
 */
export class MemoryRunQueue implements RunQueuePort {
  /** Pending blocking reads of this queue, resolved by `interrupt`. */
  private readonly blocked = new Set<() => void>();
  /** Where each read's pass over the partitions starts. */
  private readonly passStart = new RotatingStart();

  constructor(
    private readonly store: MemoryStore,
    private readonly history: HistoryLimits,
  ) {}

  /**
   * Up to `count` runs, high priority first (a backlog of high-priority runs is always drained before any
   * normal one). When none is queued it waits until one is published, `blockMs` elapse (0: no limit, like
   * XREADGROUP BLOCK 0) or `interrupt` is called.
   */
  async read(consumer: string, count: number, blockMs: number): Promise<RunMessage[]> {
    const missing = this.store.partitions.filter((part) => !part.groupsExist);
    if (missing.length > 0) {
      // The queues vanished (state cleared): recreate them, like the Redis driver on NOGROUP.
      for (const part of missing) part.groupsExist = true;
      return [];
    }
    const deadline = blockMs > 0 ? this.store.now() + blockMs : Infinity;
    for (;;) {
      const runs = this.take(consumer, count);
      if (runs.length > 0) return runs;
      const remaining = deadline - this.store.now();
      if (remaining <= 0) return [];
      if ((await this.waitForRuns(remaining)) === 'interrupted') return [];
    }
  }

  /** Resolves 'published' at the next publication, 'timeout' after `ms`, 'interrupted' on `interrupt`. */
  private waitForRuns(ms: number): Promise<'published' | 'timeout' | 'interrupted'> {
    return new Promise((resolve) => {
      const settle = (result: 'published' | 'timeout' | 'interrupted') => {
        this.store.timers.clearTimeout(timer);
        cancel();
        this.blocked.delete(interrupt);
        resolve(result);
      };
      const interrupt = () => settle('interrupted');
      const cancel = this.store.waitForRuns(() => settle('published'));
      const timer = Number.isFinite(ms) ? this.store.timers.setTimeout(() => settle('timeout'), ms) : undefined;
      this.blocked.add(interrupt);
    });
  }

  /**
   * Delivers queued runs to `consumer`: up to `count` high-priority ones, then normal ones up to `count`; each
   * priority's queues of every partition in turn, from a start that rotates at each pass.
   */
  private take(consumer: string, count: number): RunMessage[] {
    const now = this.store.now();
    const runs: RunMessage[] = [];
    const order = this.passStart.order(this.store.partitions);
    for (const stream of [...order.map((part) => part.high), ...order.map((part) => part.normal)]) {
      for (const entry of stream.queued.values()) {
        if (runs.length >= count) break;
        stream.queued.delete(entry.id);
        stream.pending.set(entry.id, { entry, consumer, touchedAt: now });
        runs.push(toRunMessage(entry, stream.highPriority));
      }
    }
    return runs;
  }

  /**
   * Marks runs started. A run no longer delivered (recovered elsewhere) is `lost`; a run of a deleted
   * dynamic task is dropped (`deleted`); a run of an allowParallel=false task whose running marker another
   * live run holds goes back to the one-off queue for a second later (`busy`).
   */
  async start(
    consumer: string,
    runs: Array<{ run: RunMessage; allowParallel: boolean; dynamic: boolean }>,
    leaseTtlMs: number,
  ): Promise<StartDecision[]> {
    const now = this.store.now();
    return runs.map(({ run, allowParallel, dynamic }): StartDecision => {
      const store = this.store.of(run.taskId);
      const stream = store.stream(run.highPriority);
      const delivery = stream.pending.get(run.messageId);
      if (delivery) {
        delivery.consumer = consumer;
        delivery.touchedAt = now;
      } else if (!store.keptThroughWipe(run, leaseTtlMs)) {
        // (Also while the consumer groups are gone after a wipe: a missing group says nothing about whether
        // the run was recovered elsewhere before it. Like start-runs, whose XCLAIM fails then.)
        return 'lost';
      }
      // (No delivery, and its data was wiped under it before anyone could recover it: nobody else has it; it
      // starts, recorded after loss.)
      if (dynamic && !store.dynamic.has(run.taskId)) {
        stream.remove(run.messageId);
        return 'deleted';
      }
      const tag = runTag(run.highPriority, run.messageId);
      const state = store.state(run.taskId);
      if (
        !allowParallel &&
        state.runningBy !== undefined &&
        state.runningBy !== tag &&
        (state.runningUntil ?? 0) > now
      ) {
        stream.remove(run.messageId);
        if (state.inflight === tag) delete state.inflight;
        store.oneOff.set(encodeOneOffEntry(oneOffOf(run)), now + 1000);
        return 'busy';
      }
      state.runningBy = tag;
      state.runningUntil = now + leaseTtlMs;
      run.leaseUntil = Math.max(run.leaseUntil ?? 0, now + leaseTtlMs);
      return 'start';
    });
  }

  /**
   * Heartbeat: touches each held run (renewing its lease), extends the running markers of started ones
   * (or takes a released / lapsed marker over), refreshes the worker registry; returns the indexes of
   * runs that are no longer delivered to anyone (recovered elsewhere).
   */
  async renew(worker: WorkerDescription, held: HeldLease[], leaseTtlMs: number): Promise<HeartbeatResult> {
    const now = this.store.now();
    const lost: number[] = [];
    const vanished: number[] = [];
    held.forEach(({ run, started, dynamic }, index) => {
      const store = this.store.of(run.taskId);
      const delivery = store.stream(run.highPriority).pending.get(run.messageId);
      if (delivery) {
        delivery.consumer = worker.id;
        delivery.touchedAt = now;
      } else if (store.keptThroughWipe(run, leaseTtlMs)) {
        vanished.push(index);
      } else {
        lost.push(index);
        return;
      }
      // (Nothing is written for a dynamic task whose definition is gone.)
      if (!started || (dynamic && !store.dynamic.has(run.taskId))) return;
      const tag = runTag(run.highPriority, run.messageId);
      const state = store.state(run.taskId);
      if (state.runningBy === tag || (state.runningUntil ?? 0) < now) {
        state.runningBy = tag;
        state.runningUntil = now + leaseTtlMs;
      }
    });
    this.store.workers.set(worker.id, now);
    this.store.workerInfo.set(worker.id, { ...worker });
    return { lost, vanished, serverTime: now };
  }

  complete(
    consumer: string,
    run: RunMessage,
    outcome: RunOutcome,
    backoff: BackoffPolicy,
    dynamic = false,
  ): Promise<CompletionResult> {
    return Promise.resolve(
      completeRun(this.store.of(run.taskId), this.history, consumer, run, outcome, backoff, dynamic),
    );
  }

  async requeue(run: RunMessage, delayMs: number): Promise<void> {
    if (!this.streamOf(run).remove(run.messageId)) return;
    this.store.of(run.taskId).oneOff.set(encodeOneOffEntry(oneOffOf(run)), this.store.now() + delayMs);
  }

  /** Re-publishes runs still delivered to `consumer` at once (new message, same run); see `hand-back-runs`. */
  async handBack(consumer: string, runs: RunMessage[], leaseTtlMs: number): Promise<boolean[]> {
    return runs.map((run) => {
      const store = this.store.of(run.taskId);
      const stream = store.stream(run.highPriority);
      const delivery = stream.pending.get(run.messageId);
      if (!delivery || delivery.consumer !== consumer) {
        if (!store.keptThroughWipe(run, leaseTtlMs)) return false;
        // Its data was wiped before anyone could recover it: nobody else has it; publish it again.
        store.enqueue(run.highPriority, oneOffOf(run));
        return true;
      }
      stream.remove(run.messageId);
      const { id: _oldId, ...entry } = delivery.entry;
      const newId = store.enqueue(run.highPriority, entry);
      const state = store.tasks.get(run.taskId);
      const tag = runTag(run.highPriority, run.messageId);
      if (state?.inflight === tag) state.inflight = runTag(run.highPriority, newId);
      if (state?.runningBy === tag) state.runningUntil = 0;
      return true;
    });
  }

  /** Ends every pending blocking read of this queue now (they resolve with no runs). */
  interrupt(): void {
    for (const interrupt of this.blocked) interrupt();
  }

  /** The run's queue, in its task's partition. */
  private streamOf(run: RunMessage): MemoryStream {
    return this.store.of(run.taskId).stream(run.highPriority);
  }
}

/** The run as a one-off entry (or a queue entry to publish again): its task, slot, attempt, kind and kwargs. */
function oneOffOf({ taskId, slot, attempt, kind, kwargs }: RunMessage): OneOffEntry {
  return { taskId, slot, attempt, kind, ...(kwargs ? { kwargs } : {}) };
}
