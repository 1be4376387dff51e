/** Maps a task's run history to FastAPI Task Manager's `TaskStatistics`, plus per-run outcome and a summary. */
import type { RunRecord } from '../../engine/coordination.port.js';
import type { TaskStatisticsResponse, TaskStatisticsSummaryResponse } from '../dto/task.responses.js';
import { isoTime, isoTimeOrNull } from './time.js';

/**
 * `TaskStatistics` of one task; `runs` oldest first. `run_date` is when the run finished, as FastAPI Task Manager
 * records it; `started_at` when it started.
 */
export function toTaskStatistics(
  groupName: string,
  taskName: string,
  runs: readonly RunRecord[],
): TaskStatisticsResponse {
  return {
    task_group_name: groupName,
    task_name: taskName,
    runs: runs.map((run) => ({
      run_date: isoTime(finishedAt(run)),
      durations_second: run.durationSeconds,
      started_at: isoTime(run.startedAt),
      status: run.status,
      error: run.error,
      worker_id: run.workerId,
      scheduled_at: isoTime(run.scheduledAt),
      attempt: run.attempt,
      kind: run.kind,
      kwargs: run.kwargs,
      error_stack: run.errorStack,
    })),
    summary: summarize(runs),
  };
}

/** When `run` finished: its start plus its duration (its start when the duration is unknown). */
function finishedAt(run: RunRecord): number {
  return Number.isFinite(run.durationSeconds) ? run.startedAt + Math.round(run.durationSeconds * 1000) : run.startedAt;
}

/** Count, failures, latest success and failure, and nearest-rank p50/p95 of the durations. */
export function summarize(runs: readonly RunRecord[]): TaskStatisticsSummaryResponse {
  let lastSuccess: number | null = null;
  let lastFailure: number | null = null;
  let failures = 0;
  for (const run of runs) {
    if (run.status === 'success') lastSuccess = Math.max(lastSuccess ?? run.startedAt, run.startedAt);
    else {
      failures++;
      lastFailure = Math.max(lastFailure ?? run.startedAt, run.startedAt);
    }
  }
  const durations = runs
    .map((run) => run.durationSeconds)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  return {
    count: runs.length,
    failures,
    last_success: isoTimeOrNull(lastSuccess),
    last_failure: isoTimeOrNull(lastFailure),
    p50_duration_second: percentile(durations, 50),
    p95_duration_second: percentile(durations, 95),
  };
}

/** Nearest-rank percentile of ascending `sorted` values; null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
