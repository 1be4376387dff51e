/**
 * The HTTP layer's wiring, loaded only when the `api` extra mounts the management API: this file (and what
 * it imports: controllers, DTOs, class-validator, class-transformer, @nestjs/swagger, the dashboard) is
 * never reached by an application without `api`.
 */
import type { DynamicModule } from '@nestjs/common';
import { createDashboardController } from '../dashboard/dashboard.controller.js';
import { PlatformErrorsBinder } from './platform-errors.binder.js';
import { TaskManagerApiModule } from './task-manager-api.module.js';
import { TASK_MANAGER_API_OPTIONS, type ResolvedTaskManagerApiOptions } from './task-manager-api.options.js';
import { createTaskManagerController } from './task-manager.controller.js';

/**
 * The API's module: its controller (mounted under `api.path`), the dashboard's when `api.dashboard` is on,
 * its options and platform error handler, the modules its guards need, and `core` (the task manager's
 * module, whose exported service the controllers call).
 */
export function createTaskManagerApiModule(api: ResolvedTaskManagerApiOptions, core: DynamicModule): DynamicModule {
  return {
    module: TaskManagerApiModule,
    imports: [core, ...api.imports],
    controllers: [
      // The dashboard's routes come first: the API's catch-all route answers every other path under the mount.
      ...(api.dashboard ? [createDashboardController(api, api.dashboard)] : []),
      createTaskManagerController(api),
    ],
    providers: [{ provide: TASK_MANAGER_API_OPTIONS, useValue: api }, PlatformErrorsBinder],
  };
}
