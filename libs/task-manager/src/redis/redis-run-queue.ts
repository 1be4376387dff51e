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
import { RENEW_RUNS_ARGS } from '../wire/script-args.js';
import { encodeWorkerDescription } from '../wire/worker-description.js';
import type { TaskManagerKeys } from './task-manager-keys.js';
import type { RedisConnections } from './redis-connections.js';
import { RedisCompletions } from './redis-completions.js';
import {
  highFirst,
  keepAtMost,
  PENDING_REREAD_MAX,
  RedisPartitionRuns,
  renewItem,
  type RunToStart,
} from './redis-partition-runs.js';

export { START_SLICE } from './redis-partition-runs.js';

/** The two run streams and their consumer group, as seen by one worker. */
export class RedisRunQueue implements RunQueuePort {
  /** The last read found both streams empty: block directly next time. */
  private idle = false;
  /** The blocking connection was re-established after a loss: re-read this consumer's pending runs first. */
  private rereadPending = false;
  private connectionLost = false;
  private watching = false;
  private readonly completions: RedisCompletions;
  private readonly part: RedisPartitionRuns;

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
    this.part = new RedisPartitionRuns(scripts, keys, group);
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
        const pending = await this.part.xread(client, consumer, PENDING_REREAD_MAX, undefined, streams, '0');
        if (pending.length > 0) return highFirst(pending);
      }
      if (!this.idle) {
        const high = await this.part.xread(client, consumer, count, undefined, [this.keys.streamHigh]);
        const normal =
          high.length < count
            ? await this.part.xread(client, consumer, count - high.length, undefined, [this.keys.streamNormal])
            : [];
        if (high.length + normal.length > 0) return [...high, ...normal];
      }
      const streams = [this.keys.streamHigh, this.keys.streamNormal];
      const runs = await this.part.xread(client, consumer, count, blockMs, streams);
      this.idle = runs.length === 0;
      return await keepAtMost(count, highFirst(runs), () => this.part);
    } catch (error) {
      this.idle = false;
      if (String((error as Error).message).includes('NOGROUP')) {
        await this.ensureGroups();
        return [];
      }
      throw error;
    }
  }

  start(consumer: string, runs: RunToStart[], leaseTtlMs: number): Promise<StartDecision[]> {
    return this.part.start(consumer, runs, leaseTtlMs);
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
      held.map(renewItem),
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

  requeue(run: RunMessage, delayMs: number): Promise<void> {
    return this.part.requeue(run, delayMs);
  }

  handBack(consumer: string, runs: RunMessage[], leaseTtlMs: number): Promise<boolean[]> {
    return this.part.handBack(consumer, runs, leaseTtlMs);
  }

  interrupt(): void {
    this.connections.get('blocking').disconnect();
  }
}
