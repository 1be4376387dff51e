import { Logger, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TaskManagerExplorer } from './discovery/task-manager.explorer.js';
import { EngineStartup } from './engine/engine-startup.js';
import { TaskManagerOrchestrator } from './engine/task-manager.orchestrator.js';
import { TaskManagerEvents } from './engine/task-manager-events.js';
import { createWorkerIdentity, type WorkerIdentity } from './engine/worker-identity.js';
import { resolveOptions } from './options/resolve-options.js';
import type { ResolvedTaskManagerOptions } from './options/resolved-options.js';
import type { TaskManagerModuleOptions } from './options/task-manager-options.interface.js';
import { createRedisCoordination } from './redis/redis-coordination.js';
import { createMemoryCoordination } from './memory/memory-coordination.js';
import { TaskRegistry } from './registry/task-registry.js';
import { ConfigurableTaskManagerModule, TASK_MANAGER_MODULE_OPTIONS } from './task-manager.module-definition.js';
import {
  TASK_MANAGER_COORDINATION,
  TASK_MANAGER_LOGGER,
  TASK_MANAGER_RESOLVED_OPTIONS,
  TASK_MANAGER_WORKER,
} from './task-manager.constants.js';
import { TaskManagerService } from './task-manager.service.js';
import type { LoggerService } from '@nestjs/common';

/**
 * Distributed cron tasks for Nest: `TaskManagerModule.forRoot({ redis, keyPrefix })` or `forRootAsync(...)`.
 * Global by default (`isGlobal: false` to opt out). The management HTTP API is opt-in: add the `api` extra,
 * e.g. `forRoot({ redis, keyPrefix, api: { path: 'task-manager', guards: [AuthGuard] } })`, or
 * `forRootAsync({ inject, useFactory, api: { ... } })`.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: TASK_MANAGER_RESOLVED_OPTIONS,
      useFactory: (options: TaskManagerModuleOptions) => resolveOptions(options),
      inject: [TASK_MANAGER_MODULE_OPTIONS],
    },
    {
      provide: TASK_MANAGER_LOGGER,
      useFactory: (options: ResolvedTaskManagerOptions) => options.logger ?? new Logger('TaskManager'),
      inject: [TASK_MANAGER_RESOLVED_OPTIONS],
    },
    {
      provide: TASK_MANAGER_WORKER,
      useFactory: (options: ResolvedTaskManagerOptions) => createWorkerIdentity(options.workerServiceName),
      inject: [TASK_MANAGER_RESOLVED_OPTIONS],
    },
    {
      provide: TASK_MANAGER_COORDINATION,
      // Without a `redis` option: the in-process driver (it warns at startup). Both read `options.partitions`.
      useFactory: (options: ResolvedTaskManagerOptions, worker: WorkerIdentity, logger: LoggerService) =>
        options.driver === 'memory'
          ? createMemoryCoordination(options, worker.id, logger)
          : createRedisCoordination(options, worker.id, logger),
      inject: [TASK_MANAGER_RESOLVED_OPTIONS, TASK_MANAGER_WORKER, TASK_MANAGER_LOGGER],
    },
    TaskRegistry,
    TaskManagerEvents,
    TaskManagerExplorer,
    TaskManagerOrchestrator,
    EngineStartup,
    TaskManagerService,
  ],
  // The logger too: the management API's module (imported lazily, see withTaskManagerApi) injects it; the
  // coordination port for the metrics' scrape-time reads (pending runs).
  exports: [TaskManagerService, TaskRegistry, TaskManagerEvents, TASK_MANAGER_LOGGER, TASK_MANAGER_COORDINATION],
})
export class TaskManagerModule extends ConfigurableTaskManagerModule {}
