import { nextBackoffDelay } from '../engine/backoff-delay.js';
import type { BackoffPolicy, CompletionResult, RunMessage, RunOutcome } from '../engine/coordination.port.js';
import type { MemoryStore, MemoryTaskRecord } from './memory-store.js';
import { encodeOneOffEntry } from '../wire/one-off-entry.js';
import { recordedStack } from '../wire/history-entry.js';
import { runTag } from '../wire/run-tag.js';

/** Bounds of a task's run history. */
export interface HistoryLimits {
  /** Most entries kept (`statisticsHistoryRuns`); the oldest go first. */
  maxRuns: number;
  /** The history expires this long after its last entry (`statisticsRedisExpiration`). */
  ttlMs: number;
}

/**
 * Records the outcome of a run and releases it in one step, like `complete-runs`: acknowledges its
 * delivery, releases its running marker and in-flight mark, appends a capped, expiring history entry,
 * and updates the backoff state (a success clears it; a failure grows the delay by the multiplier, capped,
 * and queues a retry while attempts remain).
 *
 * @returns 'lost' when the run was taken over elsewhere (nothing recorded); 'recordedAfterLoss' when its
 *   data was wiped under it (recorded anyway); 'deleted' when its dynamic task was deleted meanwhile (only
 *   acknowledged: nothing is written for a deleted task); 'recorded' otherwise.
 */
export function completeRun(
  store: MemoryStore,
  limits: HistoryLimits,
  consumer: string,
  run: RunMessage,
  outcome: RunOutcome,
  backoff: BackoffPolicy,
  dynamic = false,
): CompletionResult {
  const stream = store.stream(run.highPriority);
  let result: CompletionResult = 'recorded';
  if (!stream.pending.has(run.messageId)) {
    const wiped = run.generation === '' ? !store.groupsExist : store.wipedSince(run.generation);
    // Sent again (its reply lost, or retried after a timeout): answer what the first one did, write nothing.
    if (recordedBefore(store, consumer, run, outcome)) return wiped ? 'recordedAfterLoss' : 'recorded';
    // (A run wiped after its lease limit may have been recovered and recorded elsewhere before the wipe.)
    if (run.generation === '' ? !wiped : !store.keptThroughWipe(run)) return 'lost';
    result = 'recordedAfterLoss';
  }
  stream.remove(run.messageId);
  if (dynamic && !store.dynamic.has(run.taskId)) return 'deleted';
  const now = store.now();
  const tag = runTag(run.highPriority, run.messageId);
  const state = store.state(run.taskId);
  if (state.inflight === tag) delete state.inflight;
  appendHistory(store, limits, run, outcome, consumer, now);
  state.lastStatus = outcome.status;
  state.lastRun = outcome.startedAt;
  if (state.runningBy === tag) state.runningUntil = 0;
  if (outcome.status === 'success') clearBackoff(state);
  else applyFailure(store, state, run, backoff, now);
  return result;
}

/** Whether this very completion (same worker, start time, slot and attempt) is in the history already. */
function recordedBefore(store: MemoryStore, workerId: string, run: RunMessage, outcome: RunOutcome): boolean {
  const history = store.history(run.taskId, store.now());
  return (
    history?.records.some(
      (r) =>
        r.workerId === workerId &&
        r.startedAt === outcome.startedAt &&
        r.scheduledAt === run.slot &&
        r.attempt === run.attempt,
    ) ?? false
  );
}

function appendHistory(
  store: MemoryStore,
  limits: HistoryLimits,
  run: RunMessage,
  outcome: RunOutcome,
  workerId: string,
  now: number,
): void {
  store.sweepHistories(now);
  let history = store.history(run.taskId, now);
  if (!history) {
    history = { records: [], expiresAt: 0 };
    store.histories.set(run.taskId, history);
  }
  history.records.push({
    id: store.nextId(),
    startedAt: outcome.startedAt,
    durationSeconds: outcome.durationSeconds,
    status: outcome.status,
    error: outcome.error || null,
    workerId,
    scheduledAt: run.slot,
    attempt: run.attempt,
    kind: run.kind,
    kwargs: run.kwargs ?? null,
    errorStack: outcome.status === 'failed' ? recordedStack(outcome.stack) || null : null,
  });
  const excess = history.records.length - limits.maxRuns;
  if (excess > 0) history.records.splice(0, excess);
  history.expiresAt = now + limits.ttlMs;
}

function clearBackoff(state: MemoryTaskRecord): void {
  if (state.retryDelay === undefined) return;
  delete state.retryAfter;
  delete state.retryDelay;
  delete state.failures;
}

function applyFailure(
  store: MemoryStore,
  state: MemoryTaskRecord,
  run: RunMessage,
  backoff: BackoffPolicy,
  now: number,
): void {
  const delay = nextBackoffDelay(state.retryDelay, backoff);
  const retryAfter = now + Math.floor(delay * 1000);
  state.retryAfter = retryAfter;
  state.retryDelay = delay;
  state.failures = (state.failures ?? 0) + 1;
  if (run.attempt < backoff.maxAttempts) {
    store.oneOff.set(
      encodeOneOffEntry({
        taskId: run.taskId,
        slot: run.slot,
        attempt: run.attempt + 1,
        kind: 'retry',
        ...(run.kwargs ? { kwargs: run.kwargs } : {}),
      }),
      retryAfter,
    );
  }
}
