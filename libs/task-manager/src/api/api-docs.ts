/** OpenAPI documentation of each endpoint, composed once here so that the controller stays readable. */
import { applyDecorators, type Type } from '@nestjs/common';
import { ErrorResponse } from './dto/system.responses.js';
import { ApiOperation, ApiResponse } from './swagger.js';

interface OperationDoc {
  summary: string;
  description: string;
  ok: Type<unknown>;
  isArray?: boolean;
  /** Error statuses the operation answers besides 400 (always possible) and the guards' 401/403. */
  errors?: number[];
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: see `detail` (and `errors` for validation failures)',
  401: 'Not authenticated (a configured guard refused the request)',
  403: 'Forbidden (a configured guard refused the request, or dynamic tasks are disabled)',
  404: 'No matching task, or unknown task group',
  409: 'A task with that name already exists in the group',
  413: 'kwargs or request body too large',
  503: 'Redis is unavailable',
};

const FILTERS =
  'Filters `task_group_name`, `name` (alias `task_name`) and `tag` combine (AND); 404 when no task matches.';

function operation(doc: OperationDoc, guarded: boolean): MethodDecorator {
  const statuses = [400, ...(guarded ? [401, 403] : []), ...(doc.errors ?? []), 503];
  return applyDecorators(
    ApiOperation({ summary: doc.summary, description: doc.description }),
    ApiResponse({ status: 200, description: 'OK', type: doc.ok, isArray: doc.isArray }),
    ...[...new Set(statuses)].map((status) =>
      ApiResponse({ status, description: ERROR_DESCRIPTIONS[status], type: ErrorResponse }),
    ),
  );
}

/** Builds the documentation decorators of every operation. */
export function apiDocs(guarded: boolean, adminGuarded: boolean) {
  const read = (doc: OperationDoc) => operation(doc, guarded);
  const write = (doc: OperationDoc) => operation(doc, guarded || adminGuarded);
  const bulk = (summary: string, description: string, ok: Type<unknown>) =>
    write({ summary, description: `${description} ${FILTERS}`, ok, errors: [404] });
  return {
    health: (ok: Type<unknown>) =>
      read({
        summary: 'Health of this instance',
        description: 'Engine state, Redis connectivity, worker id and leadership.',
        ok,
      }),
    workers: (ok: Type<unknown>) =>
      read({
        summary: 'List live instances',
        description:
          'Every instance of the deployment seen recently, with its host, pid, last heartbeat, leadership and number of running runs (not in FastAPI Task Manager).',
        ok,
        isArray: true,
      }),
    config: (ok: Type<unknown>) =>
      read({
        summary: 'Configuration in force',
        description: "Operational options in FastAPI Task Manager's snake_case names, plus ours; never secrets.",
        ok,
      }),
    taskGroups: (ok: Type<unknown>) =>
      read({ summary: 'List task groups', description: 'Filters: exact `name`, `tag`.', ok, isArray: true }),
    tasks: (ok: Type<unknown>) =>
      read({
        summary: 'List tasks with their state',
        description:
          'Definition, next run, active/running flags and retry backoff of each matching task, read in one Redis round trip. Filters combine (AND); `limit`/`offset` page the result (absent: all).',
        ok,
        isArray: true,
      }),
    statistics: (ok: Type<unknown>) =>
      read({
        summary: 'Run history of one task',
        description:
          'Runs oldest first (`run_date`: when each finished), with start, duration, outcome, error and worker, and a summary. Percent-encode reserved characters of the names. Query parameters are rejected.',
        ok,
        errors: [404],
      }),
    disable: (ok: Type<unknown>) =>
      bulk('Disable tasks', 'Disables every matching task (persisted, never expires).', ok),
    enable: (ok: Type<unknown>) => bulk('Enable tasks', 'Re-enables every matching task.', ok),
    trigger: (ok: Type<unknown>) =>
      bulk(
        'Trigger tasks',
        'Runs every matching task once, now, besides its schedule, and clears its retry backoff. An optional JSON body `{"kwargs": {...}}` runs them with those kwargs instead of their own (validated as dynamic-task kwargs; recorded in the run history).',
        ok,
      ),
    resetRetry: (ok: Type<unknown>) =>
      bulk('Reset retry backoff', 'Clears the retry backoff of every matching task.', ok),
    clearStatistics: (ok: Type<unknown>) =>
      bulk('Clear statistics', 'Deletes the run history of every matching task.', ok),
    functions: (ok: Type<unknown>) =>
      read({ summary: 'List registered functions', description: 'Functions dynamic tasks can be created from.', ok }),
    createTask: (ok: Type<unknown>) =>
      write({
        summary: 'Create a dynamic task',
        description:
          'Creates a task from a registered function; every instance knows it within a second. Answers 200, as FastAPI Task Manager. Unknown body properties and query parameters are rejected.',
        ok,
        errors: [404, 409, 413],
      }),
    updateTask: (ok: Type<unknown>) =>
      write({
        summary: 'Update a dynamic task',
        description:
          'Changes the given fields of a dynamic task (same query parameters as `DELETE /tasks`), validated as on creation; `null` resets a field to its default, `enabled` pauses or resumes the task, a new cron expression or time zone plans its next run again. Every instance runs the new definition within a second. Answers the task as `GET /tasks` lists it. Unknown fields and an empty body are rejected (400), as are static tasks (400: change their `@Task()` declaration). Not in FastAPI Task Manager.',
        ok,
        errors: [404, 409, 413],
      }),
    deleteTask: (ok: Type<unknown>) =>
      write({
        summary: 'Delete a dynamic task',
        description:
          'Deletes a dynamic task everywhere, with all of its Redis state. Static tasks cannot be deleted (400).',
        ok,
        errors: [404],
      }),
  };
}
