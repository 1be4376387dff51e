import type { BackoffPolicy, CompletionResult, RunMessage, RunOutcome } from '../engine/coordination.port.js';
import { recordedStack } from '../wire/history-entry.js';
import { encodeRunKwargs } from '../wire/one-off-entry.js';
import { priorityOf } from '../wire/run-tag.js';
import { COMPLETE_RUNS_ARGS, flag } from '../wire/script-args.js';
import type { ReplicaWait } from './replica-wait.js';
import type { RedisScripts } from './redis-scripts.js';
import type { PartitionKeys } from './task-manager-keys.js';

/**
 * Most runs one `complete-runs` call records: a completion costs Redis ≈ 40 µs, so a call holds Redis for a
 * few milliseconds at most (every other client waits meanwhile).
 */
export const COMPLETE_SLICE = 64;

type Item = Parameters<typeof COMPLETE_RUNS_ARGS.encode>[1][number];

interface Waiting {
  item: Item;
  resolve: (result: CompletionResult) => void;
  reject: (error: unknown) => void;
}

const RESULTS: Record<number, CompletionResult> = { 1: 'recorded', 2: 'recordedAfterLoss', 0: 'lost', 3: 'deleted' };

/**
 * The outcomes of a worker's runs, recorded in batches: one `complete-runs` script call records every run that
 * finished meanwhile, not one call per run (a call's own cost, the EVALSHA and its round trip, was a third of a
 * run's Redis time at 5,000 runs/s). At most one batch is in flight: completions that arrive while it is wait
 * for its answer and leave together (in calls of at most `COMPLETE_SLICE` runs, pipelined), so the batches
 * grow with the load and a lone completion leaves at the next turn of the event loop. Each run keeps its own
 * result, and its own error when the call fails (the run lifecycle retries it; a completion sent twice is
 * recorded once).
 */
export class RedisCompletions {
  private waiting: Waiting[] = [];
  private busy = false;

  constructor(
    private readonly scripts: RedisScripts,
    private readonly keys: PartitionKeys,
    private readonly group: string,
    private readonly history: { maxRuns: number; ttlSeconds: number },
    /** Waits for replicas after recorded outcomes (option `waitForReplicas`): once per call. */
    private readonly replicas?: ReplicaWait,
  ) {}

  /** Records a run's outcome and releases it (with the next batch). */
  complete(
    workerId: string,
    run: RunMessage,
    outcome: RunOutcome,
    backoff: BackoffPolicy,
    dynamic: boolean,
  ): Promise<CompletionResult> {
    const item: Item = {
      workerId,
      priority: priorityOf(run.highPriority),
      messageId: run.messageId,
      taskId: run.taskId,
      status: outcome.status,
      startedAt: outcome.startedAt,
      duration: outcome.durationSeconds,
      error: outcome.error ?? '',
      slot: run.slot,
      attempt: run.attempt,
      kind: run.kind,
      generation: run.generation,
      dynamic: flag(dynamic),
      leaseUntil: run.leaseUntil ?? '',
      kwargs: encodeRunKwargs(run.kwargs),
      stack: outcome.status === 'failed' ? recordedStack(outcome.stack) : '',
      backoffStart: backoff.retryBackoff,
      backoffMax: backoff.retryBackoffMax,
      backoffMultiplier: backoff.retryBackoffMultiplier,
      maxAttempts: backoff.maxAttempts,
    };
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length === 1 && !this.busy) setImmediate(() => void this.send());
    });
  }

  /** Sends every waiting completion; then those that arrived meanwhile. */
  private async send(): Promise<void> {
    if (this.busy || this.waiting.length === 0) return;
    this.busy = true;
    const batch = this.waiting;
    this.waiting = [];
    const calls: Promise<void>[] = [];
    for (let first = 0; first < batch.length; first += COMPLETE_SLICE)
      calls.push(this.call(batch.slice(first, first + COMPLETE_SLICE)));
    await Promise.all(calls);
    this.busy = false;
    void this.send();
  }

  private async call(batch: Waiting[]): Promise<void> {
    let results: CompletionResult[];
    try {
      const codes = await this.scripts.run<number[]>(
        'completeRuns',
        [this.keys.streamHigh, this.keys.streamNormal, this.keys.oneOff, this.keys.generation, this.keys.dynamic],
        COMPLETE_RUNS_ARGS.encode(
          {
            group: this.group,
            taskStatePrefix: this.keys.taskStatePrefix,
            historyPrefix: this.keys.historyPrefix,
            historyMax: this.history.maxRuns,
            historyTtlSeconds: this.history.ttlSeconds,
          },
          batch.map(({ item }) => item),
        ),
      );
      results = codes.map((code) => RESULTS[code] ?? 'lost');
    } catch (error) {
      for (const { reject } of batch) reject(error);
      return;
    }
    if (results.some((result) => result === 'recorded' || result === 'recordedAfterLoss'))
      await this.replicas?.after('recorded outcome');
    batch.forEach(({ resolve }, i) => resolve(results[i]));
  }
}
