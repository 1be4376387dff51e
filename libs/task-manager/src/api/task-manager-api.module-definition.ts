import type { DynamicModule } from '@nestjs/common';
import { resolveApiOptions, type TaskManagerApiOptions } from './task-manager-api.options.js';

/**
 * Adds the management API to the module definition built by `forRoot()` / `forRootAsync()` when the `api`
 * extra asks for it. The HTTP layer (controllers, DTOs, class-validator, class-transformer, @nestjs/swagger,
 * the dashboard) is imported lazily, as a `Promise<DynamicModule>` in `imports` (which Nest awaits): an
 * application without `api` never loads it, so those packages are optional peers. Without `api` (or with
 * `enabled: false`) the definition is returned unchanged.
 * @throws TaskManagerConfigurationError when `api` is invalid (at once, not when the import settles)
 */
export function withTaskManagerApi(definition: DynamicModule, api: TaskManagerApiOptions | undefined): DynamicModule {
  const resolved = resolveApiOptions(api);
  if (!resolved) return definition;
  // NOTE: the API's module imports this very object (same module token: one engine), so that its
  // controllers reach the task manager's exports even when the module is not global.
  const core: DynamicModule = { ...definition };
  const apiModule = import('./task-manager-api.wiring.js').then(({ createTaskManagerApiModule }) =>
    createTaskManagerApiModule(resolved, core),
  );
  core.imports = [...(definition.imports ?? []), apiModule];
  return core;
}
