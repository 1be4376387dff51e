import type { RedisClient } from './redis-client.js';
import type {
  BackoffPolicy,
  CompletionResult,
  RunKind,
  RunMessage,
  RunOutcome,
  RunQueuePort,
  StartDecision,
  WorkerDescription,
} from '../engine/coordination.port.js';
import type { RedisScripts } from './redis-scripts.js';
import type { TaskManagerKeys } from './task-manager-keys.js';
import type { RedisConnections } from './redis-connections.js';

type StreamReply = Array<[string, Array<[string, string[]]>]> | null;

/** The two run streams and their consumer group, as seen by one worker. */
export class RedisRunQueue implements RunQueuePort {
  /** The last read found both streams empty: block directly next time. */
  private idle = false;

  constructor(
    private readonly connections: RedisConnections,
    private readonly scripts: RedisScripts,
    private readonly keys: TaskManagerKeys,
    private readonly group: string,
    private readonly history: { maxRuns: number; ttlSeconds: number },
    private readonly ensureGroups: () => Promise<void>,
  ) {}

  /**
   * Up to `count` runs, high priority first. While runs keep coming it reads without blocking, high stream
   * first, so a backlog of high-priority runs is always drained before any normal one; once both streams
   * are empty it blocks on both (one command per `blockMs` when idle).
   */
  async read(consumer: string, count: number, blockMs: number): Promise<RunMessage[]> {
    const client = this.connections.get('blocking');
    if (client.status === 'wait') await client.connect();
    try {
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
      return runs.sort((a, b) => Number(b.highPriority) - Number(a.highPriority));
    } catch (error) {
      this.idle = false;
      if (String((error as Error).message).includes('NOGROUP')) {
        await this.ensureGroups();
        return [];
      }
      throw error;
    }
  }

  private async xread(
    client: RedisClient,
    consumer: string,
    count: number,
    blockMs: number | undefined,
    streams: string[],
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
      ...streams.map(() => '>'),
    )) as StreamReply;
    const runs: RunMessage[] = [];
    for (const [stream, entries] of reply ?? []) {
      const highPriority = stream === this.keys.streamHigh;
      for (const [messageId, fields] of entries) runs.push(parseRun(messageId, highPriority, fields));
    }
    return runs;
  }

  async start(
    consumer: string,
    runs: Array<{ run: RunMessage; allowParallel: boolean; dynamic: boolean }>,
    leaseTtlMs: number,
  ): Promise<StartDecision[]> {
    const args: Array<string | number> = [this.keys.taskStatePrefix, leaseTtlMs, this.group, consumer, runs.length];
    const now = Date.now();
    for (const { run, allowParallel, dynamic } of runs) {
      // A message published more than a third of a lease ago may have been recovered elsewhere meanwhile
      // (this process was frozen or overloaded): check it is still ours before starting it.
      const verify = now - messageTime(run.messageId) > leaseTtlMs / 3;
      args.push(
        run.taskId,
        run.highPriority ? 'h' : 'n',
        run.messageId,
        allowParallel ? '1' : '0',
        dynamic ? '1' : '0',
        run.slot,
        run.attempt,
        run.kind,
        verify ? '1' : '0',
      );
    }
    const reply = await this.scripts.run<number[]>(
      'startRuns',
      [this.keys.dynamic, this.keys.streamHigh, this.keys.streamNormal, this.keys.oneOff],
      args,
    );
    return reply.map((code) => START_DECISIONS[code] ?? 'lost');
  }

  async renew(
    worker: WorkerDescription,
    held: Array<{ run: RunMessage; started: boolean }>,
    leaseTtlMs: number,
  ): Promise<number[]> {
    const args: Array<string | number> = [
      this.group,
      worker.id,
      leaseTtlMs,
      Date.now(),
      this.keys.taskStatePrefix,
      JSON.stringify(worker),
      held.length,
    ];
    for (const { run, started } of held)
      args.push(run.highPriority ? 'h' : 'n', run.messageId, started ? run.taskId : '');
    const lost = await this.scripts.run<number[]>(
      'renewRuns',
      [this.keys.workers, this.keys.streamHigh, this.keys.streamNormal, this.keys.workerInfo],
      args,
    );
    return lost.map((index) => index - 1);
  }

  async complete(
    consumer: string,
    run: RunMessage,
    outcome: RunOutcome,
    backoff: BackoffPolicy,
  ): Promise<CompletionResult> {
    const reply = await this.scripts.run<number>(
      'completeRun',
      [
        this.keys.stream(run.highPriority),
        this.keys.taskState(run.taskId),
        this.keys.history(run.taskId),
        this.keys.oneOff,
      ],
      [
        this.group,
        run.messageId,
        run.highPriority ? 'h' : 'n',
        outcome.status,
        outcome.startedAt,
        outcome.durationSeconds,
        outcome.error ?? '',
        consumer,
        run.slot,
        run.attempt,
        this.history.maxRuns,
        this.history.ttlSeconds,
        backoff.retryBackoff,
        backoff.retryBackoffMax,
        backoff.retryBackoffMultiplier,
        backoff.maxAttempts,
        run.taskId,
        run.kind,
      ],
    );
    return reply === 1 ? 'recorded' : reply === 2 ? 'recordedAfterLoss' : 'lost';
  }

  async requeue(run: RunMessage, delayMs: number): Promise<void> {
    await this.scripts.run(
      'requeueRun',
      [this.keys.stream(run.highPriority), this.keys.oneOff],
      [this.group, run.messageId, delayMs, run.taskId, run.slot, run.attempt, run.kind],
    );
  }

  async discard(run: RunMessage): Promise<void> {
    await this.scripts.run('discardRun', [this.keys.stream(run.highPriority)], [this.group, run.messageId]);
  }

  interrupt(): void {
    this.connections.get('blocking').disconnect();
  }
}

const START_DECISIONS: Record<number, StartDecision> = { 1: 'start', 0: 'busy', [-1]: 'deleted', [-2]: 'lost' };

/** The Redis time (ms) at which a stream message was added, from its id `<ms>-<seq>`. */
function messageTime(messageId: string): number {
  return Number(messageId.slice(0, messageId.indexOf('-')));
}

function parseRun(messageId: string, highPriority: boolean, fields: string[]): RunMessage {
  const value = (name: string) => {
    for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
    return undefined;
  };
  return {
    messageId,
    highPriority,
    taskId: value('t') ?? '',
    slot: Number(value('s')),
    attempt: Number(value('a') ?? 1) || 1,
    kind: (value('k') ?? 'scheduled') as RunKind,
  };
}
