import type { CanActivate, DynamicModule, ForwardReference, Type } from '@nestjs/common';
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import { messages } from '../task-manager.messages.js';

/** A Nest guard: a class (instantiated by Nest, with dependency injection) or a ready instance. */
export type TaskManagerApiGuard = Type<CanActivate> | CanActivate;

/** A module the API imports, e.g. one that provides what a class guard injects. */
export type TaskManagerApiImport = Type<unknown> | DynamicModule | Promise<DynamicModule> | ForwardReference;

/**
 * Options of the management HTTP API, given as the `api` extra of `TaskManagerModule.forRoot()` /
 * `forRootAsync()` (a static value, so it also works with `forRootAsync`).
 *
 * The API is opt-in: without `api` the module mounts no route at all, since the endpoints can disable,
 * trigger and create tasks. Protect it with `guards` in any deployment reachable by untrusted clients.
 */
export interface TaskManagerApiOptions {
  /**
   * Mounts the API. Lets a configuration switch it off without removing the `api` object.
   * @default true
   */
  enabled?: boolean;
  /**
   * Route prefix of every endpoint (relative to the application's global prefix), e.g. `'task-manager'`
   * serves `GET /task-manager/tasks`. Letters, digits, `-`, `_`, `.`, `~` and `/` only.
   * @default 'task-manager'
   */
  path?: string;
  /**
   * Guards applied to every endpoint (authentication, read access). A class is instantiated by Nest in
   * the task manager's module: what it injects must be global or come from `imports`.
   * @default []
   */
  guards?: TaskManagerApiGuard[];
  /**
   * Extra guards for the endpoints that change something (disable, enable, trigger, reset-retry, clear
   * statistics, create and delete dynamic tasks), evaluated after `guards`: the read-only/admin split.
   * @default []
   */
  adminGuards?: TaskManagerApiGuard[];
  /**
   * Documents the endpoints in the application's OpenAPI document (`@nestjs/swagger`, when installed);
   * `false` hides them (`@ApiExcludeController`).
   * @default true
   */
  swagger?: boolean;
  /**
   * Serves `POST /tasks` and `DELETE /tasks`; when false they answer 403.
   * @default true
   */
  dynamicTasks?: boolean;
  /** Modules imported by the task manager's module so that class guards can inject their providers. */
  imports?: TaskManagerApiImport[];
  /**
   * Serves the web dashboard under the API's mount path (behind the same `guards`; its buttons call the
   * mutating endpoints, which also need `adminGuards`). Off by default; `true` is `{ enabled: true }`.
   * @default false
   */
  dashboard?: boolean | TaskManagerDashboardOptions;
}

/** Options of the web dashboard (`api.dashboard`). */
export interface TaskManagerDashboardOptions {
  /**
   * Serves the dashboard. Lets a configuration switch it off without removing the object.
   * @default true
   */
  enabled?: boolean;
  /**
   * Path of the page relative to the API's mount path, e.g. `'dashboard'` serves
   * `GET /task-manager/dashboard`. Same characters as `api.path`; must not start with a segment of an
   * API route (`tasks`, `health`, `config`, `task-groups`, `functions`, `workers`).
   * @default 'dashboard'
   */
  path?: string;
}

/** `TaskManagerDashboardOptions` with defaults applied. */
export interface ResolvedTaskManagerDashboardOptions {
  /** Normalized path relative to the API's mount path, without leading or trailing `/` (never empty). */
  readonly path: string;
}

/** `TaskManagerApiOptions` with defaults applied. */
export interface ResolvedTaskManagerApiOptions {
  /** Normalized route prefix, without leading or trailing `/` (may be empty: the application root). */
  readonly path: string;
  readonly guards: readonly TaskManagerApiGuard[];
  readonly adminGuards: readonly TaskManagerApiGuard[];
  readonly swagger: boolean;
  readonly dynamicTasks: boolean;
  readonly imports: readonly TaskManagerApiImport[];
  /** The dashboard, or null when it is not served. */
  readonly dashboard: ResolvedTaskManagerDashboardOptions | null;
}

/** Injection token of the resolved API options (provided only when the API is mounted). */
export const TASK_MANAGER_API_OPTIONS = Symbol('nestjs-task-manager:api-options');

/** Default route prefix of the management API. */
export const DEFAULT_API_PATH = 'task-manager';

/** Default path of the dashboard, relative to the API's mount path. */
export const DEFAULT_DASHBOARD_PATH = 'dashboard';

/** First path segments of the API's routes: a dashboard path may not start with one. */
const API_SEGMENTS = new Set(['health', 'config', 'task-groups', 'functions', 'tasks', 'workers']);

const PATH_PATTERN = /^[\w.~-]+(?:\/[\w.~-]+)*$/;

/**
 * Applies the defaults of the `api` extra and validates it.
 * @returns undefined when no API is to be mounted (`api` absent or `enabled: false`)
 * @throws TaskManagerConfigurationError listing every problem
 */
export function resolveApiOptions(api: TaskManagerApiOptions | undefined): ResolvedTaskManagerApiOptions | undefined {
  if (api === undefined || api === null) return undefined;
  const problems: string[] = [];
  if (typeof api !== 'object') {
    throw new TaskManagerConfigurationError(messages.invalidOptions(['api must be an object']));
  }
  const bool = (key: 'enabled' | 'swagger' | 'dynamicTasks') => {
    const value = api[key] ?? true;
    if (typeof value !== 'boolean') problems.push(`api.${key} must be true or false (got ${JSON.stringify(value)})`);
    return value;
  };
  const enabled = bool('enabled');
  const rawPath = api.path ?? DEFAULT_API_PATH;
  const path = typeof rawPath === 'string' ? rawPath.replace(/^\/+|\/+$/g, '') : '';
  if (typeof rawPath !== 'string' || (path !== '' && !PATH_PATTERN.test(path))) {
    problems.push(
      `api.path must be a URL path of letters, digits, "-", "_", ".", "~" and "/" (got ${JSON.stringify(rawPath)})`,
    );
  }
  const guards = guardList('guards', api.guards, problems);
  const adminGuards = guardList('adminGuards', api.adminGuards, problems);
  const imports = api.imports ?? [];
  if (!Array.isArray(imports)) problems.push('api.imports must be an array of modules');
  const resolved: ResolvedTaskManagerApiOptions = {
    path,
    guards,
    adminGuards,
    swagger: bool('swagger'),
    dynamicTasks: bool('dynamicTasks'),
    imports: Array.isArray(imports) ? [...imports] : [],
    dashboard: resolveDashboard(api.dashboard, problems),
  };
  if (problems.length > 0) throw new TaskManagerConfigurationError(messages.invalidOptions(problems));
  return enabled ? resolved : undefined;
}

function resolveDashboard(
  value: boolean | TaskManagerDashboardOptions | undefined,
  problems: string[],
): ResolvedTaskManagerDashboardOptions | null {
  if (value === undefined || value === null || value === false) return null;
  const options: TaskManagerDashboardOptions = value === true ? {} : value;
  if (typeof options !== 'object' || Array.isArray(options)) {
    problems.push(`api.dashboard must be true, false or an object (got ${JSON.stringify(value)})`);
    return null;
  }
  const enabled = options.enabled ?? true;
  if (typeof enabled !== 'boolean') {
    problems.push(`api.dashboard.enabled must be true or false (got ${JSON.stringify(enabled)})`);
  }
  const rawPath = options.path ?? DEFAULT_DASHBOARD_PATH;
  const path = typeof rawPath === 'string' ? rawPath.replace(/^\/+|\/+$/g, '') : '';
  if (typeof rawPath !== 'string' || !PATH_PATTERN.test(path)) {
    problems.push(
      `api.dashboard.path must be a non-empty URL path of letters, digits, "-", "_", ".", "~" and "/" (got ${JSON.stringify(rawPath)})`,
    );
  } else if (API_SEGMENTS.has(path.split('/')[0]) || path.split('/').some((s) => /^\.+$/.test(s))) {
    problems.push(
      `api.dashboard.path must not start with a route of the API nor contain "." or ".." segments (got ${JSON.stringify(rawPath)})`,
    );
  }
  return enabled === true ? { path } : null;
}

function guardList(key: string, value: unknown, problems: string[]): TaskManagerApiGuard[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(`api.${key} must be an array of guards`);
    return [];
  }
  value.forEach((guard: unknown, i) => {
    const isClass = typeof guard === 'function';
    const isInstance =
      typeof guard === 'object' && guard !== null && typeof (guard as CanActivate).canActivate === 'function';
    if (!isClass && !isInstance) {
      problems.push(`api.${key}[${i}] must be a guard class or an object with a canActivate() method`);
    }
  });
  return [...(value as TaskManagerApiGuard[])];
}
