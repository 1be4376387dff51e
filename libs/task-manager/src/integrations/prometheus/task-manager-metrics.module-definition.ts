import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TaskManagerMetricsOptions } from './task-manager-metrics.options.js';

/** Static options of `forRoot()` / `forRootAsync()` besides the metrics options. */
export interface TaskManagerMetricsModuleExtras {
  /**
   * Registers the module globally (so `TaskManagerMetrics` can be injected anywhere).
   * @default false
   */
  isGlobal: boolean;
}

/** Builds `TaskManagerMetricsModule.forRoot()` / `forRootAsync()` (extra: `isGlobal`, default false). */
export const {
  ConfigurableModuleClass: ConfigurableTaskManagerMetricsModule,
  MODULE_OPTIONS_TOKEN: TASK_MANAGER_METRICS_MODULE_OPTIONS,
  OPTIONS_TYPE: TASK_MANAGER_METRICS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TASK_MANAGER_METRICS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TaskManagerMetricsOptions>({ moduleName: 'TaskManagerMetrics' })
  .setClassMethodName('forRoot')
  .setExtras<TaskManagerMetricsModuleExtras>({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

/** Injection token of the resolved (defaulted) metrics options. */
export const TASK_MANAGER_METRICS_OPTIONS = Symbol('nestjs-task-manager:metrics-options');
