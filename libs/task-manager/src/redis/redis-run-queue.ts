import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis-client.js';
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
import type { RedisScripts } from './redis-scripts.js';
import type { ReplicaWait } from './replica-wait.js';
import { runFromFields } from '../wire/run-message.codec.js';
import { encodeRunKwargs } from '../wire/one-off-entry.js';
import { priorityOf } from '../wire/run-tag.js';
import { flag, HAND_BACK_RUNS_ARGS, RENEW_RUNS_ARGS, START_RUNS_ARGS } from '../wire/script-args.js';
import { encodeWorkerDescription } from '../wire/worker-description.js';
import type { TaskManagerKeys } from './task-manager-keys.js';
import type { RedisConnections } from './redis-connections.js';
import { RedisCompletions } from './redis-completions.js';

type StreamReply = Array<[string, Array<[string, string[] | null]>]> | null;

/** Most pending runs re-read at once after a reconnection (the leader's sweep recovers any beyond). */
const PENDING_REREAD_MAX = 1000;

/**
 * Most runs one `start-runs` call starts: a start costs Redis ≈ 10 µs, and a worker may start as many runs at
 * once as its concurrency (500 in an aligned burst: one call held Redis for several milliseconds, and every
 * other client waited). Slices are sent together (one round trip), each atomic on its own.
 */
export const START_SLICE = 64;

/** The two run streams and their consumer group, as seen by one worker. */
export class RedisRunQueue implements RunQueuePort {
  /** The last read found both streams empty: block directly next time. */
  private idle = false;
  /** The blocking connection was re-established after a loss: re-read this consumer's pending runs first. */
  private rereadPending = false;
  private connectionLost = false;
  private watching = false;
  private readonly completions: RedisCompletions;

  constructor(
    private readonly connections: RedisConnections,
    private readonly scripts: RedisScripts,
    private readonly keys: TaskManagerKeys,
    private readonly group: string,
    history: { maxRuns: number; ttlSeconds: number },
    private readonly ensureGroups: () => Promise<void>,
    /** Waits for replicas after a recorded outcome (option `waitForReplicas`). */
    replicas?: ReplicaWait,
  ) {
    this.completions = new RedisCompletions(scripts, keys, group, history, replicas);
  }

  /**
   * Up to `count` runs, high priority first. While runs keep coming it reads without blocking, high stream
   * first, so a backlog of high-priority runs is always drained before any normal one; once both streams
   * are empty it blocks on both (one command per `blockMs` when idle), and never returns more than `count`.
   */
  async read(consumer: string, count: number, blockMs: number): Promise<RunMessage[]> {
    const client = this.connections.get('blocking');
    if (!this.watching) {
      this.watching = true;
      // (A Cluster client also says 'ready' after refreshing its slots, without any connection lost.)
      client.on('close', () => (this.connectionLost = true));
      client.on('ready', () => {
        if (this.connectionLost) this.rereadPending = true;
        this.connectionLost = false;
      });
    }
    if (client.status === 'wait') await client.connect();
    try {
      if (this.rereadPending) {
        // A reply lost with the connection (it delivered runs that never arrived) left them pending for this
        // consumer, where nothing else would look: read them again (id 0: this consumer's pending entries).
        this.rereadPending = false;
        const streams = [this.keys.streamHigh, this.keys.streamNormal];
        const pending = await this.xread(client, consumer, PENDING_REREAD_MAX, undefined, streams, '0');
        if (pending.length > 0) return pending.sort((a, b) => Number(b.highPriority) - Number(a.highPriority));
      }
      if (!this.idle) {
        const high = await this.xread(client, consumer, count, undefined, [this.keys.streamHigh]);
        const normal =
          high.length < count
            ? await this.xread(client, consumer, count - high.length, undefined, [this.keys.streamNormal])
            : [];
        if (high.length + normal.length > 0) return [...high, ...normal];
      }
      const runs = await this.xread(client, consumer, count, blockMs, [this.keys.streamHigh, this.keys.streamNormal]);
      this.idle = runs.length === 0;
      return await this.keepAtMost(
        count,
        runs.sort((a, b) => Number(b.highPriority) - Number(a.highPriority)),
      );
    } catch (error) {
      this.idle = false;
      if (String((error as Error).message).includes('NOGROUP')) {
        await this.ensureGroups();
        return [];
      }
      throw error;
    }
  }

  /**
   * The first `count` runs (sorted high priority first); the others are put back at the end of their stream
   * for any consumer. Up to Redis 7.0 a blocked read over both streams is answered from one stream only;
   * from 7.2 (and on Valkey) from both, up to `count` per stream: without this, a worker would hold runs it
   * has no slot for while other instances idle. If putting them back fails, the worker keeps them all.
   */
  private async keepAtMost(count: number, runs: RunMessage[]): Promise<RunMessage[]> {
    if (runs.length <= count) return runs;
    // At most `count` high-priority runs come first: the extra ones are normal-priority runs.
    const extra = runs.slice(count).map((run) => run.messageId);
    try {
      await this.scripts.run(
        'unreadRuns',
        [this.keys.streamNormal],
        [this.group, priorityOf(false), this.keys.taskStatePrefix, ...extra],
      );
    } catch {
      return runs;
    }
    return runs.slice(0, count);
  }

  private async xread(
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
      for (const [messageId, fields] of entries) if (fields) runs.push(runFromFields(messageId, highPriority, fields));
    }
    return runs;
  }

  async start(
    consumer: string,
    runs: Array<{ run: RunMessage; allowParallel: boolean; dynamic: boolean }>,
    leaseTtlMs: number,
  ): Promise<StartDecision[]> {
    // (In order: a later slice sees the running markers an earlier one set, as one call would.)
    const slices: Array<Promise<StartDecision[]>> = [];
    for (let first = 0; first < runs.length; first += START_SLICE)
      slices.push(this.startSlice(consumer, runs.slice(first, first + START_SLICE), leaseTtlMs));
    return (await Promise.all(slices)).flat();
  }

  private async startSlice(
    consumer: string,
    runs: Array<{ run: RunMessage; allowParallel: boolean; dynamic: boolean }>,
    leaseTtlMs: number,
  ): Promise<StartDecision[]> {
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

  async renew(worker: WorkerDescription, held: HeldLease[], leaseTtlMs: number): Promise<HeartbeatResult> {
    const args = RENEW_RUNS_ARGS.encode(
      {
        group: this.group,
        workerId: worker.id,
        leaseTtlMs,
        taskStatePrefix: this.keys.taskStatePrefix,
        description: encodeWorkerDescription(worker),
      },
      held.map(({ run, started, dynamic }) => ({
        priority: priorityOf(run.highPriority),
        messageId: run.messageId,
        taskId: started ? run.taskId : '',
        generation: run.generation,
        dynamic: flag(dynamic ?? false),
        leaseUntil: run.leaseUntil ?? '',
      })),
    );
    const [serverTime, lost, vanished] = await this.scripts.run<[number, number[], number[]]>(
      'renewRuns',
      [
        this.keys.workers,
        this.keys.streamHigh,
        this.keys.streamNormal,
        this.keys.workerInfo,
        this.keys.generation,
        this.keys.dynamic,
      ],
      args,
    );
    return { lost: lost.map((index) => index - 1), vanished: vanished.map((index) => index - 1), serverTime };
  }

  complete(
    consumer: string,
    run: RunMessage,
    outcome: RunOutcome,
    backoff: BackoffPolicy,
    dynamic = false,
  ): Promise<CompletionResult> {
    return this.completions.complete(consumer, run, outcome, backoff, dynamic);
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

  interrupt(): void {
    this.connections.get('blocking').disconnect();
  }
}

const START_DECISIONS: Record<number, StartDecision> = { 1: 'start', 0: 'busy', [-1]: 'deleted', [-2]: 'lost' };
