/**
 * `nestjs-task-manager/prometheus`: Prometheus metrics of the task manager.
 * Needs the optional peer dependency `prom-client` (never loaded by the main entry point).
 */
export { TaskManagerMetricsModule } from './task-manager-metrics.module.js';
export { TaskManagerMetrics } from './task-manager.metrics.js';
export {
  DEFAULT_DURATION_BUCKETS,
  DEFAULT_LATENESS_BUCKETS,
  type TaskManagerMetricsOptions,
} from './task-manager-metrics.options.js';
export {
  TASK_MANAGER_METRICS_OPTIONS,
  type TaskManagerMetricsModuleExtras,
} from './task-manager-metrics.module-definition.js';
