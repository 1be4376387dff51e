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
import { groupByPartition, inCallOrder } from '../engine/partition-groups.js';
import { RotatingStart } from '../engine/rotating-start.js';
import type { RedisCompletions } from './redis-completions.js';
import { highFirst, keepAtMost, type RedisPartitionRuns, type RunToStart } from './redis-partition-runs.js';
import { isNoGroup, type RedisPartitionReader } from './redis-partition-reader.js';

/** One partition's part of the run queue. */
export interface RunQueuePartition {
  readonly reader: RedisPartitionReader;
  readonly completions: RedisCompletions;
}

/**
 * The run queue of a deployment of several partitions (Redis driver): each run lives in its task's partition
 * (`partitionOf(taskId)`; a task never changes partition), and every call on runs goes to theirs, grouped per
 * partition (one call per partition, in parallel; results in the caller's order).
 *
 * Reading keeps the one-partition semantics over all partitions (plan §3.4): the runs a reconnected partition
 * connection left pending come first; then, unless the last read ended idle, a sweep without blocking of
 * every partition's high stream, then every normal stream, from a start that rotates at each read; then a
 * blocked read on every partition at once (each on its own connection), which returns with the first
 * answers. A partition whose blocked read is still out is skipped (it answers as soon as its streams get a
 * run); an answer that comes after its read returned is put back for any consumer (unread-runs), or kept for
 * the next read if that fails. Over-delivery (several partitions answering together) goes back the same way.
 */
export class RedisPartitionedRunQueue implements RunQueuePort {
  /** The last read found every stream empty: block directly next time. */
  private idle = false;
  /** Where each sweep over the partitions starts. */
  private readonly passStart = new RotatingStart();
  /** Runs of blocked reads that answered after their read returned and could not be put back. */
  private kept: RunMessage[] = [];
  /** While a read waits for blocked reads: their answers so far, and what wakes it. */
  private waiting?: { runs: RunMessage[]; error?: unknown; wake: () => void };

  constructor(
    private readonly partitions: readonly RunQueuePartition[],
    private readonly partitionOf: (taskId: string) => number,
    /** Refreshes the worker's registry entry with its description; resolves to the server time (touch-worker). */
    private readonly announce: (worker: WorkerDescription) => Promise<number>,
  ) {}

  private partOf = (run: RunMessage): RedisPartitionRuns => this.partitions[this.partitionOf(run.taskId)].reader.part;

  async read(consumer: string, count: number, blockMs: number): Promise<RunMessage[]> {
    const readers = this.partitions.map(({ reader }) => reader);
    try {
      const pending = (await Promise.all(readers.map((reader) => reader.reread(consumer)))).flat();
      if (pending.length > 0) return highFirst(pending);
      if (this.kept.length > 0) {
        const kept = this.kept;
        this.kept = [];
        return await keepAtMost(count, highFirst(kept), this.partOf);
      }
      if (!this.idle) {
        const runs = await this.sweep(consumer, count, readers);
        if (runs.length > 0) return runs;
      }
      const runs = await this.block(consumer, count, blockMs, readers);
      this.idle = runs.length === 0;
      return await keepAtMost(count, highFirst(runs), this.partOf);
    } catch (error) {
      this.idle = false;
      // (The partition's groups were created again by its reader.)
      if (isNoGroup(error)) return [];
      throw error;
    }
  }

  /** Every partition's high stream, then every normal one, from a rotating start, up to `count` runs. */
  private async sweep(consumer: string, count: number, readers: RedisPartitionReader[]): Promise<RunMessage[]> {
    const order = this.passStart.order(readers).filter((r) => !r.outstanding);
    const runs: RunMessage[] = [];
    for (const highPriority of [true, false]) {
      for (const reader of order) {
        if (runs.length >= count) return runs;
        runs.push(...(await reader.poll(consumer, count - runs.length, reader.part.keys.stream(highPriority))));
      }
    }
    return runs;
  }

  /**
   * Blocks on every partition without a blocked read out; resolves with the answers that arrived by the time
   * the first one with runs (or an error) did, or with none once every blocked read timed out.
   */
  private async block(
    consumer: string,
    count: number,
    blockMs: number,
    readers: RedisPartitionReader[],
  ): Promise<RunMessage[]> {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const waiting: { runs: RunMessage[]; error?: unknown; wake: () => void } = { runs: [], wake };
    this.waiting = waiting;
    for (const reader of readers) {
      if (reader.outstanding) continue;
      void reader.block(consumer, count, blockMs).then(
        (runs) => this.answered(runs),
        (error: unknown) => this.answered([], error),
      );
    }
    if (readers.some((reader) => reader.outstanding)) await woken;
    this.waiting = undefined;
    if (waiting.runs.length === 0 && waiting.error !== undefined) throw waiting.error;
    return waiting.runs;
  }

  /** A blocked read settled: its runs go to the read waiting for them, else back to their streams. */
  private answered(runs: RunMessage[], error?: unknown): void {
    const waiting = this.waiting;
    if (waiting) {
      waiting.runs.push(...runs);
      waiting.error ??= error;
      const done = !this.partitions.some(({ reader }) => reader.outstanding);
      if (runs.length > 0 || error !== undefined || done) waiting.wake();
      return;
    }
    // (A late error: the next read meets its cause again.)
    if (runs.length > 0) void keepAtMost(0, runs, this.partOf).then((kept) => this.kept.push(...kept));
  }

  async start(consumer: string, runs: RunToStart[], leaseTtlMs: number): Promise<StartDecision[]> {
    return this.grouped(
      runs,
      ({ run }) => run.taskId,
      (part, slice) => part.reader.part.start(consumer, slice, leaseTtlMs),
    );
  }

  /**
   * The beat of several partitions (plan §1.1(b)): one renew-partition-runs per partition holding runs, and one
   * touch-worker with the description (its server time is the beat's), in parallel.
   */
  async renew(worker: WorkerDescription, held: HeldLease[], leaseTtlMs: number): Promise<HeartbeatResult> {
    const groups = groupByPartition(
      held.map(({ run }) => run.taskId),
      this.partitionOf,
    );
    const [serverTime, ...results] = await Promise.all([
      this.announce(worker),
      ...groups.map(({ partition, positions }) =>
        this.partitions[partition].reader.part.renew(
          worker.id,
          positions.map((p) => held[p]),
          leaseTtlMs,
        ),
      ),
    ]);
    const lost: number[] = [];
    const vanished: number[] = [];
    results.forEach((result, g) => {
      const { positions } = groups[g];
      for (const i of result.lost) lost.push(positions[i]);
      for (const i of result.vanished) vanished.push(positions[i]);
    });
    return { serverTime, lost: lost.sort((a, b) => a - b), vanished: vanished.sort((a, b) => a - b) };
  }

  complete(
    consumer: string,
    run: RunMessage,
    outcome: RunOutcome,
    backoff: BackoffPolicy,
    dynamic = false,
  ): Promise<CompletionResult> {
    const { completions } = this.partitions[this.partitionOf(run.taskId)];
    return completions.complete(consumer, run, outcome, backoff, dynamic);
  }

  requeue(run: RunMessage, delayMs: number): Promise<void> {
    return this.partOf(run).requeue(run, delayMs);
  }

  handBack(consumer: string, runs: RunMessage[], leaseTtlMs: number): Promise<boolean[]> {
    return this.grouped(
      runs,
      (run) => run.taskId,
      (part, slice) => part.reader.part.handBack(consumer, slice, leaseTtlMs),
    );
  }

  interrupt(): void {
    for (const { reader } of this.partitions) reader.interrupt();
  }

  /** One call per partition of `items`, in parallel; the results in the order of `items`. */
  private async grouped<T, R>(
    items: T[],
    taskId: (item: T) => string,
    call: (partition: RunQueuePartition, slice: T[]) => Promise<R[]>,
  ): Promise<R[]> {
    const groups = groupByPartition(items.map(taskId), this.partitionOf);
    const results = await Promise.all(
      groups.map(({ partition, positions }) =>
        call(
          this.partitions[partition],
          positions.map((p) => items[p]),
        ),
      ),
    );
    return inCallOrder(items.length, groups, results);
  }
}
