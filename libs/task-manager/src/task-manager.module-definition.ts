import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TaskManagerModuleOptions } from './options/task-manager-options.interface.js';

/** Builds `TaskManagerModule.forRoot()` / `forRootAsync()`; `isGlobal` defaults to true. */
export const {
  ConfigurableModuleClass: ConfigurableTaskManagerModule,
  MODULE_OPTIONS_TOKEN: TASK_MANAGER_MODULE_OPTIONS,
  OPTIONS_TYPE: TASK_MANAGER_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TASK_MANAGER_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TaskManagerModuleOptions>({
  moduleName: 'TaskManager',
})
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
