import type { Registry } from 'prom-client';

/** Options of `TaskManagerMetricsModule.forRoot()` / `forRootAsync()`. */
export interface TaskManagerMetricsOptions {
  /**
   * Registry the metrics are registered on (and removed from when the application closes).
   * @default prom-client's global `register`
   */
  registry?: Registry;
  /**
   * Prefix of every metric name.
   * @default 'task_manager_'
   */
  prefix?: string;
  /**
   * Buckets of the run duration histogram, in seconds.
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]
   */
  durationBuckets?: number[];
  /**
   * Buckets of the lateness histogram (run start − slot), in seconds.
   * @default [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]
   */
  latenessBuckets?: number[];
  /**
   * How long the task states read for the scrape-time gauges (backoff, overdue) are reused, in
   * milliseconds: scrapes closer together than this cost no Redis call.
   * @default 5000
   */
  stateCacheMs?: number;
  /**
   * How late an enabled task's slot may be, unpublished, before the overdue gauge counts it.
   * @default max(misfireToleranceMs, 2 × leaderHeartbeatInterval)
   */
  overdueToleranceMs?: number;
}

/** Metrics options with every default applied except those derived from the task manager's options. */
export interface ResolvedTaskManagerMetricsOptions {
  readonly registry: Registry;
  readonly prefix: string;
  readonly durationBuckets: readonly number[];
  readonly latenessBuckets: readonly number[];
  readonly stateCacheMs: number;
  readonly overdueToleranceMs?: number;
}

/** Default buckets of the run duration histogram, in seconds. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];
/** Default buckets of the lateness histogram, in seconds. */
export const DEFAULT_LATENESS_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];

/** Injection token of the resolved (defaulted) metrics options. */
export const TASK_MANAGER_METRICS_OPTIONS = Symbol('nestjs-task-manager:metrics-options');
