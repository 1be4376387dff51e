import { register } from 'prom-client';
import {
  DEFAULT_DURATION_BUCKETS,
  DEFAULT_LATENESS_BUCKETS,
  type ResolvedTaskManagerMetricsOptions,
  type TaskManagerMetricsOptions,
} from './task-manager-metrics.options.js';

/** Applies the defaults of the metrics options, once (see the `@default` of each field). */
export function resolveMetricsOptions(options: TaskManagerMetricsOptions): ResolvedTaskManagerMetricsOptions {
  return {
    registry: options.registry ?? register,
    prefix: options.prefix ?? 'task_manager_',
    durationBuckets: options.durationBuckets ?? DEFAULT_DURATION_BUCKETS,
    latenessBuckets: options.latenessBuckets ?? DEFAULT_LATENESS_BUCKETS,
    stateCacheMs: options.stateCacheMs ?? 5000,
    overdueToleranceMs: options.overdueToleranceMs,
  };
}
