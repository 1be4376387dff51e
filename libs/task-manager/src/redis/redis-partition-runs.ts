import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis-client.js';
import type { HeldLease, RunMessage, StartDecision } from '../engine/coordination.port.js';
import type { RedisScripts } from './redis-scripts.js';
import { runFromFields } from '../wire/run-message.codec.js';
import { encodeRunKwargs } from '../wire/one-off-entry.js';
import { priorityOf } from '../wire/run-tag.js';
import { flag, HAND_BACK_RUNS_ARGS, RENEW_PARTITION_RUNS_ARGS, START_RUNS_ARGS } from '../wire/script-args.js';
import type { PartitionKeys } from './task-manager-keys.js';

type StreamReply = Array<[string, Array<[string, string[] | null]>]> | null;

/** Most pending runs re-read at once after a reconnection (the leader's sweep recovers any beyond). */
export const PENDING_REREAD_MAX = 1000;

/**
 * Most runs one `start-runs` call starts: a start costs Redis ≈ 10 µs, and a worker may start as many runs at
 * once as its concurrency (500 in an aligned burst: one call held Redis for several milliseconds, and every
 * other client waited). Slices are sent together (one round trip), each atomic on its own.
 */
export const START_SLICE = 64;

/** A run to start, with what its start depends on. */
export type RunToStart = { run: RunMessage; allowParallel: boolean; dynamic: boolean };

/**
 * The run-queue commands on the streams of one partition (the deployment's one partition, or partition
 * `index` of several), each with that partition's keys: reads, starts, hand-backs, requeues, unreads and the
 * renewal of the runs held there. The run queues (`RedisRunQueue`, `RedisPartitionedRunQueue`) decide which
 * partition a call goes to.
 */
export class RedisPartitionRuns {
  constructor(
    private readonly scripts: RedisScripts,
    readonly keys: PartitionKeys,
    private readonly group: string,
    /** Set on the runs read here (several partitions: message ids are per partition); undefined: not set. */
    private readonly partition?: number,
  ) {}

  /** XREADGROUP on `streams` of this partition (`from` '>': new runs; '0': this consumer's pending ones). */
  async xread(
    client: RedisClient,
    consumer: string,
    count: number,
    blockMs: number | undefined,
    streams: string[],
    from = '>',
  ): Promise<RunMessage[]> {
    const block = blockMs === undefined ? [] : ['BLOCK', blockMs];
    const reply = (await client.xreadgroup(
      'GROUP',
      this.group,
      consumer,
      'COUNT',
      count,
      ...(block as ['BLOCK', number]),
      'STREAMS',
      ...streams,
      ...streams.map(() => from),
    )) as StreamReply;
    const runs: RunMessage[] = [];
    for (const [stream, entries] of reply ?? []) {
      const highPriority = stream === this.keys.streamHigh;
      // (A pending entry whose message was deleted has no fields: nothing to run.)
      for (const [messageId, fields] of entries) {
        if (!fields) continue;
        const run = runFromFields(messageId, highPriority, fields);
        if (this.partition !== undefined) run.partition = this.partition;
        runs.push(run);
      }
    }
    return runs;
  }

  /**
   * Puts runs this worker read but will not take back at the end of their stream, for any consumer
   * (unread-runs-1); throws when that fails.
   */
  async unread(highPriority: boolean, runs: RunMessage[]): Promise<void> {
    if (runs.length === 0) return;
    await this.scripts.run(
      'unreadRuns',
      [this.keys.stream(highPriority)],
      [this.group, priorityOf(highPriority), this.keys.taskStatePrefix, ...runs.map((run) => run.messageId)],
    );
  }

  async start(consumer: string, runs: RunToStart[], leaseTtlMs: number): Promise<StartDecision[]> {
    // (In order: a later slice sees the running markers an earlier one set, as one call would.)
    const slices: Array<Promise<StartDecision[]>> = [];
    for (let first = 0; first < runs.length; first += START_SLICE)
      slices.push(this.startSlice(consumer, runs.slice(first, first + START_SLICE), leaseTtlMs));
    return (await Promise.all(slices)).flat();
  }

  private async startSlice(consumer: string, runs: RunToStart[], leaseTtlMs: number): Promise<StartDecision[]> {
    const args = START_RUNS_ARGS.encode(
      { taskStatePrefix: this.keys.taskStatePrefix, leaseTtlMs, group: this.group, consumer },
      runs.map(({ run, allowParallel, dynamic }) => ({
        taskId: run.taskId,
        priority: priorityOf(run.highPriority),
        messageId: run.messageId,
        allowParallel: flag(allowParallel),
        dynamic: flag(dynamic),
        slot: run.slot,
        attempt: run.attempt,
        kind: run.kind,
        generation: run.generation,
        leaseUntil: run.leaseUntil ?? '',
        kwargs: encodeRunKwargs(run.kwargs),
      })),
    );
    const [codes, leases] = await this.scripts.run<[number[], number[]]>(
      'startRuns',
      [this.keys.dynamic, this.keys.streamHigh, this.keys.streamNormal, this.keys.oneOff, this.keys.generation],
      args,
    );
    return codes.map((code, i) => {
      const decision = START_DECISIONS[code] ?? 'lost';
      const { run } = runs[i];
      if (decision === 'start') run.leaseUntil = Math.max(run.leaseUntil ?? 0, leases[i]);
      return decision;
    });
  }

  /**
   * Renews the runs held in this partition (renew-partition-runs-4: the worker registry is refreshed apart);
   * lost and vanished are 0-based indexes into `held`.
   */
  async renew(
    workerId: string,
    held: HeldLease[],
    leaseTtlMs: number,
  ): Promise<{ lost: number[]; vanished: number[] }> {
    const args = RENEW_PARTITION_RUNS_ARGS.encode(
      { group: this.group, workerId, leaseTtlMs, taskStatePrefix: this.keys.taskStatePrefix },
      held.map(renewItem),
    );
    const [, lost, vanished] = await this.scripts.run<[number, number[], number[]]>(
      'renewPartitionRuns',
      [this.keys.streamHigh, this.keys.streamNormal, this.keys.generation, this.keys.dynamic],
      args,
    );
    return { lost: lost.map((index) => index - 1), vanished: vanished.map((index) => index - 1) };
  }

  async requeue(run: RunMessage, delayMs: number): Promise<void> {
    await this.scripts.run(
      'requeueRun',
      [this.keys.stream(run.highPriority), this.keys.oneOff],
      [this.group, run.messageId, delayMs, run.taskId, run.slot, run.attempt, run.kind, encodeRunKwargs(run.kwargs)],
    );
  }

  async handBack(consumer: string, runs: RunMessage[], leaseTtlMs: number): Promise<boolean[]> {
    if (runs.length === 0) return [];
    const request = this.keys.request(randomUUID());
    const args = HAND_BACK_RUNS_ARGS.encode(
      { group: this.group, consumer, taskStatePrefix: this.keys.taskStatePrefix, requestKey: request, leaseTtlMs },
      runs.map((run) => ({
        priority: priorityOf(run.highPriority),
        messageId: run.messageId,
        taskId: run.taskId,
        slot: run.slot,
        attempt: run.attempt,
        kind: run.kind,
        generation: run.generation,
        leaseUntil: run.leaseUntil ?? '',
        kwargs: encodeRunKwargs(run.kwargs),
      })),
    );
    const reply = await this.scripts.run<number[]>(
      'handBackRuns',
      [this.keys.streamHigh, this.keys.streamNormal, this.keys.generation],
      args,
    );
    return reply.map((handed) => handed === 1);
  }
}

/** A held run as renew-runs-6 and renew-partition-runs-4 take it. */
export function renewItem({ run, started, dynamic }: HeldLease) {
  return {
    priority: priorityOf(run.highPriority),
    messageId: run.messageId,
    taskId: started ? run.taskId : '',
    generation: run.generation,
    dynamic: flag(dynamic ?? false),
    leaseUntil: run.leaseUntil ?? '',
  };
}

const START_DECISIONS: Record<number, StartDecision> = { 1: 'start', 0: 'busy', [-1]: 'deleted', [-2]: 'lost' };

/** Sorts runs high priority first (stable: each stream's order is kept). */
export function highFirst(runs: RunMessage[]): RunMessage[] {
  return runs.sort((a, b) => Number(b.highPriority) - Number(a.highPriority));
}

/**
 * The first `count` of `runs` (sorted high priority first); the others are put back at the end of their
 * stream for any consumer, one unread-runs call per stream (`partOf` gives a run's partition). Up to Redis 7.0
 * a blocked read over both streams is answered from one stream only; from 7.2 (and on Valkey) from both, up
 * to `count` per stream, and with several partitions each partition's blocked read may answer: without
 * this, a worker would hold runs it has no slot for while other instances idle. The runs of a stream whose
 * put-back fails stay with the worker.
 */
export async function keepAtMost(
  count: number,
  runs: RunMessage[],
  partOf: (run: RunMessage) => RedisPartitionRuns,
): Promise<RunMessage[]> {
  if (runs.length <= count) return runs;
  const extra = new Map<string, { part: RedisPartitionRuns; highPriority: boolean; runs: RunMessage[] }>();
  for (const run of runs.slice(count)) {
    const part = partOf(run);
    const stream = part.keys.stream(run.highPriority);
    const group = extra.get(stream) ?? { part, highPriority: run.highPriority, runs: [] };
    group.runs.push(run);
    extra.set(stream, group);
  }
  const kept = await Promise.all(
    [...extra.values()].map(({ part, highPriority, runs: put }) =>
      part.unread(highPriority, put).then(
        () => [],
        () => put,
      ),
    ),
  );
  return [...runs.slice(0, count), ...kept.flat()];
}
