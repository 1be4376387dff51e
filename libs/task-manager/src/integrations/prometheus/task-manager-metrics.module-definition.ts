import { ConfigurableModuleBuilder } from '@nestjs/common';
import { TaskManagerConfigurationError } from '../../errors/task-manager-configuration.error.js';
import { createMetricsController } from './task-manager-metrics.controller.js';
import type { TaskManagerMetricsOptions } from './task-manager-metrics.options.js';

export { TASK_MANAGER_METRICS_OPTIONS } from './task-manager-metrics.options.js';

/** Static options of `forRoot()` / `forRootAsync()` besides the metrics options. */
export interface TaskManagerMetricsModuleExtras {
  /**
   * Registers the module globally (so `TaskManagerMetrics` can be injected anywhere).
   * @default false
   */
  isGlobal: boolean;
  /**
   * Serves the metrics at `GET /<path>` (relative to the global prefix), e.g. `'metrics'`, so that no
   * controller needs writing; the route is unguarded. Absent: no route (serve `metrics.registry` yourself).
   */
  path?: string;
}

const PATH_PATTERN = /^[\w.~-]+(?:\/[\w.~-]+)*$/;

/** The scrape route's path, validated (no leading or trailing `/`). */
function metricsPath(path: unknown): string {
  const normalized = typeof path === 'string' ? path.replace(/^\/+|\/+$/g, '') : '';
  if (!PATH_PATTERN.test(normalized)) {
    throw new TaskManagerConfigurationError(
      `TaskManagerMetricsModule: path must be a URL path of letters, digits, "-", "_", ".", "~" and "/" (got ${JSON.stringify(path)})`,
    );
  }
  return normalized;
}

/**
 * Builds `TaskManagerMetricsModule.forRoot()` / `forRootAsync()` (extras: `isGlobal`, default false, and `path`,
 * the opt-in scrape route).
 */
export const {
  ConfigurableModuleClass: ConfigurableTaskManagerMetricsModule,
  MODULE_OPTIONS_TOKEN: TASK_MANAGER_METRICS_MODULE_OPTIONS,
  OPTIONS_TYPE: TASK_MANAGER_METRICS_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TaskManagerMetricsOptions>({ moduleName: 'TaskManagerMetrics' })
  .setClassMethodName('forRoot')
  .setExtras<TaskManagerMetricsModuleExtras>({ isGlobal: false, path: undefined }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    controllers: extras.path === undefined ? [] : [createMetricsController(metricsPath(extras.path))],
  }))
  .build();
