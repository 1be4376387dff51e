import { ConfigurableModuleBuilder } from '@nestjs/common';
import { withTaskManagerApi } from './api/task-manager-api.module-definition.js';
import type { TaskManagerApiOptions } from './api/task-manager-api.options.js';
import type { TaskManagerModuleOptions } from './options/task-manager-options.interface.js';

/** Static options of `forRoot()` / `forRootAsync()` besides the module options (not available to `useFactory`). */
export interface TaskManagerModuleExtras {
  /**
   * Registers the module globally.
   * @default true
   */
  isGlobal: boolean;
  /** Mounts the management HTTP API (opt-in: no route without it). */
  api?: TaskManagerApiOptions;
}

/**
 * Builds `TaskManagerModule.forRoot()` / `forRootAsync()`. Extras: `isGlobal` (default true) and `api`
 * (the management HTTP API; static, so `forRootAsync({ useFactory, inject, api })` works too).
 */
export const {
  ConfigurableModuleClass: ConfigurableTaskManagerModule,
  MODULE_OPTIONS_TOKEN: TASK_MANAGER_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<TaskManagerModuleOptions>({
  moduleName: 'TaskManager',
})
  .setClassMethodName('forRoot')
  .setExtras<TaskManagerModuleExtras>({ isGlobal: true, api: undefined }, (definition, extras) =>
    withTaskManagerApi({ ...definition, global: extras.isGlobal }, extras.api),
  )
  .build();
