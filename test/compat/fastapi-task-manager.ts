/**
 * The management API of FastAPI Task Manager 1.1.1, as data: its 13 endpoints and the pydantic models of their
 * requests and responses (field, JSON type, nullability, date format), taken from its source
 * (`schema/task.py`, `schema/task_group.py`, `schema/health.py`, `task_router_services.py`) and its API reference
 * (`/work/shared/reference/fastapi-task-manager-api-reference.txt`, `docs/learn/api-reference.md`).
 *
 * Below the original: what we add (`ADDITIONS`, `QUERY_ADDITIONS`) and where we deliberately differ
 * (`DIFFERENCES`); each is listed, with its reason, in docs/migration-from-fastapi-task-manager.md, which the
 * OpenAPI test checks. Nothing else may differ.
 */

/** JSON type of a field, `integer` for pydantic `int`, `number` for `float`. */
export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';

/** One field of a pydantic model. */
export interface Field {
  readonly type: JsonType;
  /** `X | None` in the original. */
  readonly nullable?: boolean;
  /** `datetime` in the original: ISO-8601, UTC, with a `Z`. */
  readonly format?: 'date-time';
  /** Items of a list: a JSON type or a model name. */
  readonly items?: JsonType | ModelName;
  /** Request models only: no default in the original. */
  readonly required?: boolean;
}

const str: Field = { type: 'string' };
const strOrNull: Field = { type: 'string', nullable: true };
const int: Field = { type: 'integer' };
const float: Field = { type: 'number' };
const floatOrNull: Field = { type: 'number', nullable: true };
const bool: Field = { type: 'boolean' };
const boolOrNull: Field = { type: 'boolean', nullable: true };
const tagsOrNull: Field = { type: 'array', items: 'string', nullable: true };
const dictOrNull: Field = { type: 'object', nullable: true };
const dateTime: Field = { type: 'string', format: 'date-time' };
const dateTimeOrNull: Field = { type: 'string', format: 'date-time', nullable: true };

/** Name of one of the original's models. */
export type ModelName =
  | 'HealthResponse'
  | 'ConfigResponse'
  | 'TaskGroup'
  | 'TaskDetailed'
  | 'TaskRun'
  | 'TaskStatistics'
  | 'AffectedTask'
  | 'TaskActionResponse'
  | 'RegisteredFunctionInfo'
  | 'RegisteredFunctionsResponse'
  | 'CreateDynamicTaskRequest'
  | 'DynamicTaskResponse';

/** The original's models, field for field. */
export const MODELS: Readonly<Record<ModelName, Readonly<Record<string, Field>>>> = {
  HealthResponse: {
    status: str,
    redis_connected: bool,
    worker_id: strOrNull,
    // `str | None` in the original, written as an ISO timestamp.
    worker_started_at: dateTimeOrNull,
    is_leader: boolOrNull,
  },
  ConfigResponse: {
    redis_key_prefix: str,
    concurrent_tasks: int,
    statistics_history_runs: int,
    statistics_redis_expiration: int,
    poll_interval: float,
    worker_service_name: str,
    stream_block_ms: int,
    leader_heartbeat_interval: float,
    leader_retry_interval: float,
    reconciliation_interval: int,
    retry_backoff: float,
    retry_backoff_max: float,
    retry_backoff_multiplier: float,
    running_heartbeat_interval: float,
  },
  TaskGroup: {
    name: str,
    tags: tagsOrNull,
    allow_parallel: boolOrNull,
    task_count: int,
  },
  TaskDetailed: {
    expression: str,
    name: str,
    description: strOrNull,
    tags: tagsOrNull,
    high_priority: bool,
    retry_backoff: floatOrNull,
    retry_backoff_max: floatOrNull,
    dynamic: bool,
    allow_parallel: boolOrNull,
    task_group_name: str,
    kwargs: dictOrNull,
    function_name: strOrNull,
    next_run: dateTime,
    is_active: bool,
    is_running: bool,
    retry_after: dateTimeOrNull,
    retry_delay: floatOrNull,
  },
  TaskRun: {
    run_date: dateTime,
    durations_second: float,
  },
  TaskStatistics: {
    task_group_name: str,
    task_name: str,
    runs: { type: 'array', items: 'TaskRun' },
  },
  AffectedTask: {
    task_group: str,
    task: str,
  },
  TaskActionResponse: {
    affected_tasks: { type: 'array', items: 'AffectedTask' },
    count: int,
  },
  RegisteredFunctionInfo: {
    task_group_name: str,
    function_name: str,
  },
  RegisteredFunctionsResponse: {
    functions: { type: 'array', items: 'RegisteredFunctionInfo' },
    count: int,
  },
  CreateDynamicTaskRequest: {
    task_group_name: { ...str, required: true },
    function_name: { ...str, required: true },
    cron_expression: { ...str, required: true },
    kwargs: dictOrNull,
    name: strOrNull,
    description: strOrNull,
    high_priority: bool,
    tags: tagsOrNull,
    retry_backoff: floatOrNull,
    retry_backoff_max: floatOrNull,
    allow_parallel: boolOrNull,
  },
  DynamicTaskResponse: {
    task_group_name: str,
    task_name: str,
    function_name: str,
    cron_expression: str,
    kwargs: dictOrNull,
    dynamic: bool,
  },
};

/** A query or path parameter. */
export interface Parameter {
  readonly name: string;
  readonly in: 'query' | 'path';
  readonly required?: boolean;
}

/** One endpoint of the original's router (paths relative to its mount path). */
export interface Endpoint {
  readonly method: 'get' | 'post' | 'delete';
  readonly path: string;
  readonly parameters: readonly Parameter[];
  readonly body?: ModelName;
  readonly response: ModelName;
  readonly isArray?: boolean;
}

const query = (...names: string[]): Parameter[] => names.map((name) => ({ name, in: 'query' }));
/** The group and task a request names (required), in the path or in the query. */
const taskRef = (where: 'path' | 'query'): Parameter[] =>
  ['task_group_name', 'task_name'].map((name) => ({ name, in: where, required: true }));
const BULK = query('task_group_name', 'task_name', 'tag');

/** The original's 13 endpoints. */
export const ENDPOINTS: readonly Endpoint[] = [
  { method: 'get', path: '/health', parameters: [], response: 'HealthResponse' },
  { method: 'get', path: '/config', parameters: [], response: 'ConfigResponse' },
  { method: 'get', path: '/task-groups', parameters: query('name', 'tag'), response: 'TaskGroup', isArray: true },
  {
    method: 'get',
    path: '/tasks',
    parameters: query('task_group_name', 'name', 'tag'),
    response: 'TaskDetailed',
    isArray: true,
  },
  {
    method: 'get',
    path: '/tasks/{task_group_name}/{task_name}/statistics',
    parameters: taskRef('path'),
    response: 'TaskStatistics',
  },
  { method: 'post', path: '/tasks/disable', parameters: BULK, response: 'TaskActionResponse' },
  { method: 'post', path: '/tasks/enable', parameters: BULK, response: 'TaskActionResponse' },
  { method: 'post', path: '/tasks/trigger', parameters: BULK, response: 'TaskActionResponse' },
  { method: 'post', path: '/tasks/reset-retry', parameters: BULK, response: 'TaskActionResponse' },
  { method: 'delete', path: '/tasks/statistics', parameters: BULK, response: 'TaskActionResponse' },
  { method: 'get', path: '/functions', parameters: query('task_group_name'), response: 'RegisteredFunctionsResponse' },
  { method: 'post', path: '/tasks', parameters: [], body: 'CreateDynamicTaskRequest', response: 'DynamicTaskResponse' },
  {
    method: 'delete',
    path: '/tasks',
    parameters: taskRef('query'),
    response: 'DynamicTaskResponse',
  },
];

/**
 * Fields we add to the original's models (a client of the original ignores them). The migration guide names
 * each one.
 */
export const ADDITIONS: Readonly<Partial<Record<ModelName, Readonly<Record<string, Field>>>>> = {
  HealthResponse: {
    driver: str,
  },
  ConfigResponse: {
    allow_parallel: bool,
    redis_host: strOrNull,
    redis_port: { type: 'integer', nullable: true },
    redis_db: int,
    time_zone: str,
    misfire_policy: str,
    misfire_tolerance_ms: float,
    misfire_max_runs: int,
    shutdown_timeout_ms: float,
    orphaned_task_grace_period: float,
    max_deliveries: int,
    wait_for_replicas: int,
    wait_for_replicas_timeout_ms: int,
    max_kwargs_bytes: int,
    auto_start: bool,
    partitions: int,
  },
  TaskDetailed: {
    time_zone: str,
    last_status: strOrNull,
    last_run: dateTimeOrNull,
    applied_retry_delay: floatOrNull,
    max_attempts: int,
    timeout_ms: floatOrNull,
    misfire_policy: str,
  },
  TaskRun: {
    started_at: dateTime,
    status: str,
    error: strOrNull,
    worker_id: str,
    scheduled_at: dateTime,
    attempt: int,
    kind: str,
    kwargs: dictOrNull,
    error_stack: strOrNull,
  },
  TaskStatistics: {
    summary: { type: 'object' },
  },
  CreateDynamicTaskRequest: {
    time_zone: strOrNull,
    max_attempts: { type: 'integer', nullable: true },
    timeout_ms: floatOrNull,
    misfire_policy: strOrNull,
  },
  DynamicTaskResponse: {
    time_zone: str,
  },
};

/** Query parameters we add to an endpoint (`METHOD path` → names). */
export const QUERY_ADDITIONS: Readonly<Record<string, readonly string[]>> = {
  'get /tasks': ['task_name', 'limit', 'offset'],
  'post /tasks/disable': ['name'],
  'post /tasks/enable': ['name'],
  'post /tasks/trigger': ['name'],
  'post /tasks/reset-retry': ['name'],
  'delete /tasks/statistics': ['name'],
};

/**
 * Request bodies we add to an endpoint that takes none in the original (`METHOD path` → schema name); each is
 * optional, so a client of the original works unchanged.
 */
export const BODY_ADDITIONS: Readonly<Record<string, string>> = {
  'post /tasks/trigger': 'TriggerTasksRequest',
};

/**
 * Deliberate differences of a field of the original (each explained in the migration guide):
 * `nullable`: we may answer null where the original never does.
 */
export const DIFFERENCES: Readonly<Partial<Record<ModelName, Readonly<Record<string, 'nullable'>>>>> = {
  // null while a task is not on the schedule yet (the original answers 2000-01-01T00:00:00Z then).
  TaskDetailed: { next_run: 'nullable' },
};

/** ISO-8601 UTC with a `Z`, as pydantic writes an aware UTC datetime (we write milliseconds, it microseconds). */
export const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$/;

/** The field of the original or of our additions named `field` in `model`. */
export function fieldOf(model: ModelName, field: string): Field | undefined {
  return MODELS[model][field] ?? ADDITIONS[model]?.[field];
}

/**
 * Problems of `value` as an instance of `model` on the wire: a field of the original missing, a value of the
 * wrong JSON type (an `integer` must be a whole number), a null the original never sends, a date not in the
 * original's format, or a field neither in the original nor in our documented additions.
 */
export function wireProblems(value: unknown, model: ModelName, path: string = model): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: not an object`];
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const name of Object.keys(MODELS[model])) {
    if (!(name in record)) problems.push(`${path}.${name}: missing`);
  }
  for (const [name, item] of Object.entries(record)) {
    const field = fieldOf(model, name);
    if (!field) {
      problems.push(`${path}.${name}: not a field of the original nor a documented addition`);
      continue;
    }
    const nullable = field.nullable || DIFFERENCES[model]?.[name] === 'nullable';
    problems.push(...valueProblems(item, field, nullable, `${path}.${name}`));
  }
  return problems;
}

function valueProblems(value: unknown, field: Field, nullable: boolean | undefined, path: string): string[] {
  if (value === null) return nullable ? [] : [`${path}: null, never null in the original`];
  if (!hasType(value, field.type)) return [`${path}: ${JSON.stringify(value)} is not ${field.type}`];
  if (field.format === 'date-time' && !DATE_TIME.test(value as string))
    return [`${path}: ${JSON.stringify(value)} is not an ISO-8601 UTC date-time ending in Z`];
  if (field.type === 'array' && field.items) {
    const items = field.items;
    return (value as unknown[]).flatMap((item, i) =>
      items in MODELS
        ? wireProblems(item, items as ModelName, `${path}[${i}]`)
        : valueProblems(item, { type: items as JsonType }, false, `${path}[${i}]`),
    );
  }
  return [];
}

function hasType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}
