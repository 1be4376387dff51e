/**
 * Builds HTTP applications (`NestFactory.create`) around `TaskManagerModule` with the management API, each
 * with its own key prefix on the shared test Redis, for the API's e2e tests.
 */
import { Module, type DynamicModule, type INestApplication, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  TaskManagerModule,
  TaskManagerService,
  type TaskManagerApiOptions,
  type TaskManagerModuleOptions,
} from 'nestjs-task-manager';
import request from 'supertest';
import { cleanupPrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { RunLog } from '../support/task-app.js';

/** A running HTTP test application. */
export interface ApiApp {
  readonly app: INestApplication;
  readonly service: TaskManagerService;
  readonly log: RunLog;
  readonly prefix: string;
  /** supertest agent bound to the app's HTTP server. */
  readonly http: ReturnType<typeof request>;
  /** Closes the app (idempotent). */
  close(): Promise<void>;
  /** Closes the app and deletes every key of its prefix. */
  dispose(): Promise<void>;
}

/** Options of `startApiApp`. */
export interface ApiAppOptions {
  groups: Type[];
  /** The `api` extra; null: no API. @default { path: 'task-manager' } */
  api?: TaskManagerApiOptions | null;
  options?: Partial<TaskManagerModuleOptions>;
  providers?: Provider[];
  imports?: Array<Type | DynamicModule>;
  /** Configure the module with `forRootAsync` instead of `forRoot`. */
  async?: boolean;
  prefix?: string;
  label?: string;
  /** Called before `app.init()` (global prefix, global pipes...). */
  configure?: (app: INestApplication) => void;
}

/** Creates and initialises an HTTP application running the given task groups and the management API. */
export async function startApiApp(spec: ApiAppOptions): Promise<ApiApp> {
  const prefix = spec.prefix ?? uniquePrefix(spec.label ?? 'api');
  const api = spec.api === null ? undefined : (spec.api ?? { path: 'task-manager' });
  const options: TaskManagerModuleOptions = { redis: redisUrl(), keyPrefix: prefix, ...spec.options };
  const taskManager = spec.async
    ? TaskManagerModule.forRootAsync({ useFactory: async () => options, api })
    : TaskManagerModule.forRoot({ ...options, api });
  @Module({
    imports: [taskManager, ...(spec.imports ?? [])],
    providers: [RunLog, ...spec.groups, ...(spec.providers ?? [])],
  })
  class ApiTestModule {}
  const app = await NestFactory.create(ApiTestModule, { logger: ['error', 'warn'] });
  spec.configure?.(app);
  await app.init();
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= app.close());
  return {
    app,
    service: app.get(TaskManagerService),
    log: app.get(RunLog),
    prefix,
    http: request(app.getHttpServer()),
    close,
    dispose: async () => {
      await close();
      await cleanupPrefix(prefix);
    },
  };
}

/**
 * The 15 operations of the API (FastAPI Task Manager's 13 plus `GET /workers` and `PATCH /tasks`), as (method,
 * path) under the mount path, in an order a test can run them in (create, update, then delete a task).
 */
export const OPERATIONS: ReadonlyArray<{
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  mutating: boolean;
}> = [
  { method: 'get', path: '/health', mutating: false },
  { method: 'get', path: '/workers', mutating: false },
  { method: 'get', path: '/config', mutating: false },
  { method: 'get', path: '/task-groups', mutating: false },
  { method: 'get', path: '/tasks', mutating: false },
  { method: 'get', path: '/tasks/{task_group_name}/{task_name}/statistics', mutating: false },
  { method: 'post', path: '/tasks/disable', mutating: true },
  { method: 'post', path: '/tasks/enable', mutating: true },
  { method: 'post', path: '/tasks/trigger', mutating: true },
  { method: 'post', path: '/tasks/reset-retry', mutating: true },
  { method: 'delete', path: '/tasks/statistics', mutating: true },
  { method: 'get', path: '/functions', mutating: false },
  { method: 'post', path: '/tasks', mutating: true },
  { method: 'patch', path: '/tasks', mutating: true },
  { method: 'delete', path: '/tasks', mutating: true },
];

/** Key sets of the API's response models (FastAPI Task Manager's fields plus ours; see test/compat for types). */
export const SHAPES = {
  health: ['status', 'driver', 'redis_connected', 'worker_id', 'worker_started_at', 'is_leader'],
  taskGroup: ['name', 'tags', 'allow_parallel', 'task_count'],
  taskDetailed: [
    'name',
    'description',
    'tags',
    'expression',
    'high_priority',
    'retry_backoff',
    'retry_backoff_max',
    'dynamic',
    'allow_parallel',
    'task_group_name',
    'kwargs',
    'function_name',
    'next_run',
    'is_active',
    'is_running',
    'retry_after',
    'retry_delay',
    'applied_retry_delay',
    'time_zone',
    'last_status',
    'last_run',
    'max_attempts',
    'timeout_ms',
    'misfire_policy',
  ],
  worker: ['worker_id', 'host', 'pid', 'started_at', 'last_seen', 'is_leader', 'running'],
  statistics: ['task_group_name', 'task_name', 'runs', 'summary'],
  run: [
    'run_date',
    'durations_second',
    'started_at',
    'status',
    'error',
    'worker_id',
    'scheduled_at',
    'attempt',
    'kind',
    'kwargs',
    'error_stack',
  ],
  summary: ['count', 'failures', 'last_success', 'last_failure', 'p50_duration_second', 'p95_duration_second'],
  action: ['affected_tasks', 'count'],
  affected: ['task_group', 'task'],
  functions: ['functions', 'count'],
  function: ['task_group_name', 'function_name'],
  dynamicTask: ['task_group_name', 'task_name', 'function_name', 'cron_expression', 'kwargs', 'dynamic', 'time_zone'],
} as const;

/** Sorted keys of an object, to compare with a shape. */
export const keysOf = (value: object): string[] => Object.keys(value).sort();
/** A shape, sorted. */
export const shape = (keys: readonly string[]): string[] => [...keys].sort();

/** ISO-8601 UTC with a `Z`, as the API writes instants. */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;
