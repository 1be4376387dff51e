import { Module, type DynamicModule } from '@nestjs/common';
import { resolveMetricsOptions } from './resolve-metrics-options.js';
import {
  ConfigurableTaskManagerMetricsModule,
  TASK_MANAGER_METRICS_MODULE_OPTIONS,
  TASK_MANAGER_METRICS_OPTIONS,
  TASK_MANAGER_METRICS_OPTIONS_TYPE,
} from './task-manager-metrics.module-definition.js';
import type { TaskManagerMetricsOptions } from './task-manager-metrics.options.js';
import { TaskManagerMetrics } from './task-manager.metrics.js';

/**
 * Prometheus metrics of the task manager (prom-client, an optional peer dependency):
 * `TaskManagerMetricsModule.forRoot({ registry?, prefix?, path? })` or `forRootAsync({ useFactory, inject, path? })`.
 * Needs `TaskManagerModule` (global by default). `path: 'metrics'` serves the registry at `GET /metrics`;
 * without it, expose `metrics.registry` yourself (`await registry.metrics()` with `registry.contentType`).
 */
@Module({
  providers: [
    {
      provide: TASK_MANAGER_METRICS_OPTIONS,
      useFactory: (options: TaskManagerMetricsOptions) => resolveMetricsOptions(options),
      inject: [TASK_MANAGER_METRICS_MODULE_OPTIONS],
    },
    TaskManagerMetrics,
  ],
  exports: [TaskManagerMetrics],
})
export class TaskManagerMetricsModule extends ConfigurableTaskManagerMetricsModule {
  /** Registers the metrics; every option is optional (`forRoot()` uses prom-client's global registry). */
  static override forRoot(options: typeof TASK_MANAGER_METRICS_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
