import type { DynamicModule } from '@nestjs/common';
import { createDashboardController } from '../dashboard/dashboard.controller.js';
import { PlatformErrorsBinder } from './platform-errors.binder.js';
import { createTaskManagerController } from './task-manager.controller.js';
import { resolveApiOptions, TASK_MANAGER_API_OPTIONS, type TaskManagerApiOptions } from './task-manager-api.options.js';

/**
 * Adds the management API to the module definition built by `forRoot()` / `forRootAsync()` when the
 * `api` extra asks for it: its controller (mounted under `api.path`), the dashboard's when `api.dashboard`
 * is on, its options and its platform error handler, plus the modules the guards need. Without `api` (or with `enabled: false`) the definition is
 * returned unchanged: the API is opt-in.
 * @throws TaskManagerConfigurationError when `api` is invalid
 */
export function withTaskManagerApi(definition: DynamicModule, api: TaskManagerApiOptions | undefined): DynamicModule {
  const resolved = resolveApiOptions(api);
  if (!resolved) return definition;
  return {
    ...definition,
    imports: [...(definition.imports ?? []), ...resolved.imports],
    controllers: [
      ...(definition.controllers ?? []),
      // The dashboard's routes come first: the API's catch-all route answers every other path under the mount.
      ...(resolved.dashboard ? [createDashboardController(resolved, resolved.dashboard)] : []),
      createTaskManagerController(resolved),
    ],
    providers: [
      ...(definition.providers ?? []),
      { provide: TASK_MANAGER_API_OPTIONS, useValue: resolved },
      PlatformErrorsBinder,
    ],
  };
}
