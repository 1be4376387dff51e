/**
 * Response bodies of the task endpoints, field for field FastAPI Task Manager's models (snake_case, same JSON
 * types and nullability), plus documented additions. Schema names in the OpenAPI document are its names
 * (`TaskDetailed`, `TaskActionResponse`, ...).
 */
import type { TaskKwargs } from '../../decorators/task.decorator.js';
import { ApiProperty, ApiSchema } from '../swagger.js';

const kwargsSchema = { type: 'object', additionalProperties: true, nullable: true } as const;
const timestamp = (description: string) =>
  ({ type: String, format: 'date-time', nullable: true, description, example: '2026-03-08T10:05:00Z' }) as const;

/** One task group (`GET /task-groups`). */
@ApiSchema({ name: 'TaskGroup' })
export class TaskGroupResponse {
  @ApiProperty({ example: 'Reports' })
  name!: string;
  @ApiProperty({ type: [String], example: ['reports'] })
  tags!: string[];
  @ApiProperty({
    type: Boolean,
    nullable: true,
    description: "The group's allowParallel; null when not set (its tasks inherit the module's).",
    example: false,
  })
  allow_parallel!: boolean | null;
  @ApiProperty({ type: 'integer', description: 'Tasks of the group, dynamic ones included.', example: 3 })
  task_count!: number;
}

/** A task with its live state (`GET /tasks`). */
@ApiSchema({ name: 'TaskDetailed' })
export class TaskDetailedResponse {
  @ApiProperty({ example: 'send_digest' })
  name!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Digest mail' })
  description!: string | null;
  @ApiProperty({ type: [String], description: 'Task tags, group tags included.', example: ['reports'] })
  tags!: string[];
  @ApiProperty({ description: 'Cron expression.', example: '*/5 * * * *' })
  expression!: string;
  @ApiProperty({ example: false })
  high_priority!: boolean;
  @ApiProperty({ type: Number, nullable: true, description: 'Per-task first backoff (s); null: module default.' })
  retry_backoff!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Per-task largest backoff (s); null: module default.' })
  retry_backoff_max!: number | null;
  @ApiProperty({ description: 'Created at runtime through `POST /tasks`.', example: false })
  dynamic!: boolean;
  @ApiProperty({
    type: Boolean,
    nullable: true,
    description:
      "The task's own allowParallel: whether a run may start while another is queued or running; null when not set (it inherits the group's, then the module's).",
    example: null,
  })
  allow_parallel!: boolean | null;
  @ApiProperty({ example: 'Reports' })
  task_group_name!: string;
  @ApiProperty({ ...kwargsSchema, description: 'Keyword arguments passed to the handler; `{}` when none.' })
  kwargs!: TaskKwargs | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Registered function of a dynamic task; null for static tasks.',
  })
  function_name!: string | null;
  @ApiProperty(
    timestamp(
      'Next scheduled slot (UTC); null while the task is not on the schedule yet (FastAPI Task Manager answers 2000-01-01T00:00:00Z then).',
    ),
  )
  next_run!: string | null;
  @ApiProperty({ description: 'False when the task is disabled.', example: true })
  is_active!: boolean;
  @ApiProperty({ description: 'A run of the task is executing now, on any instance.', example: false })
  is_running!: boolean;
  @ApiProperty(
    timestamp('The task is not scheduled before this instant (retry backoff); null when no failure is pending.'),
  )
  retry_after!: string | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Delay (s) the next failure would apply (the latest one times the multiplier, capped), as FastAPI Task Manager reports it; null when no failure is pending.',
    example: 2,
  })
  retry_delay!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Delay (s) the latest failure applied: `retry_after` is the failure time plus this; null when no failure is pending (not in FastAPI Task Manager).',
    example: 1,
  })
  applied_retry_delay!: number | null;
  @ApiProperty({ description: 'IANA time zone of the expression (not in FastAPI Task Manager).', example: 'UTC' })
  time_zone!: string;
  @ApiProperty({
    type: String,
    enum: ['success', 'failed'],
    nullable: true,
    description: 'Outcome of the latest finished run; null before the first one (not in FastAPI Task Manager).',
    example: 'success',
  })
  last_status!: string | null;
  @ApiProperty(
    timestamp('When the latest finished run started; null before the first one (not in FastAPI Task Manager).'),
  )
  last_run!: string | null;
  @ApiProperty({
    type: 'integer',
    description:
      'Attempts per slot: a failed run is run again after its backoff until this many failed (not in FastAPI Task Manager).',
    example: 1,
  })
  max_attempts!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'A run taking longer than this (ms) is aborted and fails; null: no timeout (not in FastAPI Task Manager).',
    example: null,
  })
  timeout_ms!: number | null;
  @ApiProperty({
    type: String,
    enum: ['runOnce', 'skip', 'runAll'],
    description: 'What is done with slots missed while no leader ran (not in FastAPI Task Manager).',
    example: 'runOnce',
  })
  misfire_policy!: string;
}

/** One run of a task (`runs` of `GET /tasks/{group}/{task}/statistics`). */
@ApiSchema({ name: 'TaskRun' })
export class TaskRunResponse {
  @ApiProperty({
    format: 'date-time',
    description: 'When the run finished (UTC), as FastAPI Task Manager records it.',
    example: '2026-03-08T10:00:00.432Z',
  })
  run_date!: string;
  @ApiProperty({
    format: 'date-time',
    description: 'When the run started (UTC; not in FastAPI Task Manager).',
    example: '2026-03-08T10:00:00.012Z',
  })
  started_at!: string;
  @ApiProperty({ description: 'Duration in seconds.', example: 0.42 })
  durations_second!: number;
  @ApiProperty({
    enum: ['success', 'failed'],
    description: 'Outcome (not in FastAPI Task Manager).',
    example: 'success',
  })
  status!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Error message of a failed run (not in FastAPI Task Manager).',
  })
  error!: string | null;
  @ApiProperty({
    description: 'Instance that executed the run (not in FastAPI Task Manager).',
    example: 'nest-task-manager-host-1234-ab12',
  })
  worker_id!: string;
  @ApiProperty({
    format: 'date-time',
    description: 'Slot the run executed (not in FastAPI Task Manager).',
    example: '2026-03-08T10:00:00Z',
  })
  scheduled_at!: string;
  @ApiProperty({
    type: 'integer',
    description: 'Which attempt of its slot the run was: 1, then 2, 3... for retries (not in FastAPI Task Manager).',
    example: 1,
  })
  attempt!: number;
  @ApiProperty({
    enum: ['scheduled', 'misfire', 'trigger', 'retry'],
    description:
      'Why the run happened: its schedule, a missed slot run late, a manual trigger, or a retry of a failed attempt (not in FastAPI Task Manager).',
    example: 'scheduled',
  })
  kind!: string;
  @ApiProperty({
    ...kwargsSchema,
    description:
      "The run's own kwargs (a trigger with arguments, and its retries); null when it ran with its task's (not in FastAPI Task Manager).",
    example: null,
  })
  kwargs!: TaskKwargs | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Stack trace of a failed run (its first 4 KiB); null otherwise (not in FastAPI Task Manager).',
  })
  error_stack!: string | null;
}

/** Aggregates over the runs kept in the history. */
@ApiSchema({ name: 'TaskStatisticsSummary' })
export class TaskStatisticsSummaryResponse {
  @ApiProperty({ type: 'integer', description: 'Runs in the history.', example: 12 })
  count!: number;
  @ApiProperty({ type: 'integer', description: 'Failed runs in the history.', example: 1 })
  failures!: number;
  @ApiProperty(timestamp('Start of the latest successful run.'))
  last_success!: string | null;
  @ApiProperty(timestamp('Start of the latest failed run.'))
  last_failure!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Median duration (s, nearest rank); null without runs.' })
  p50_duration_second!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: '95th percentile duration (s, nearest rank).' })
  p95_duration_second!: number | null;
}

/** Run history of one task, oldest first. */
@ApiSchema({ name: 'TaskStatistics' })
export class TaskStatisticsResponse {
  @ApiProperty({ example: 'Reports' })
  task_group_name!: string;
  @ApiProperty({ example: 'send_digest' })
  task_name!: string;
  @ApiProperty({ type: [TaskRunResponse] })
  runs!: TaskRunResponse[];
  @ApiProperty({ type: TaskStatisticsSummaryResponse, description: 'Not in FastAPI Task Manager.' })
  summary!: TaskStatisticsSummaryResponse;
}

/** A task named by a bulk action. */
@ApiSchema({ name: 'AffectedTask' })
export class AffectedTaskResponse {
  @ApiProperty({ example: 'Reports' })
  task_group!: string;
  @ApiProperty({ example: 'send_digest' })
  task!: string;
}

/** Result of a bulk action. */
@ApiSchema({ name: 'TaskActionResponse' })
export class TaskActionResponse {
  @ApiProperty({ type: [AffectedTaskResponse] })
  affected_tasks!: AffectedTaskResponse[];
  @ApiProperty({ type: 'integer', example: 1 })
  count!: number;
}

/** A function usable by dynamic tasks. */
@ApiSchema({ name: 'RegisteredFunctionInfo' })
export class RegisteredFunctionInfoResponse {
  @ApiProperty({ example: 'Reports' })
  task_group_name!: string;
  @ApiProperty({
    description:
      "Name to give as `function_name` in `POST /tasks`: a task's name for a @Task method (its method name is accepted too), else the @RegisterFunction name.",
    example: 'send_report',
  })
  function_name!: string;
}

/** `GET /functions`. */
@ApiSchema({ name: 'RegisteredFunctionsResponse' })
export class RegisteredFunctionsResponse {
  @ApiProperty({ type: [RegisteredFunctionInfoResponse] })
  functions!: RegisteredFunctionInfoResponse[];
  @ApiProperty({ type: 'integer', example: 1 })
  count!: number;
}

/** A dynamic task as created (`POST /tasks`) or deleted (`DELETE /tasks`). */
@ApiSchema({ name: 'DynamicTaskResponse' })
export class DynamicTaskResponse {
  @ApiProperty({ example: 'Reports' })
  task_group_name!: string;
  @ApiProperty({ example: 'weekly_report' })
  task_name!: string;
  @ApiProperty({ example: 'send_report' })
  function_name!: string;
  @ApiProperty({ example: '0 9 * * MON' })
  cron_expression!: string;
  @ApiProperty({
    ...kwargsSchema,
    description:
      'POST: the kwargs sent (null when not sent), as FastAPI Task Manager echoes them; DELETE: `{}` when none.',
    example: { recipient: 'ops@example.com' },
  })
  kwargs!: TaskKwargs | null;
  @ApiProperty({ enum: [true], example: true })
  dynamic!: true;
  @ApiProperty({ description: 'IANA time zone of the expression (not in FastAPI Task Manager).', example: 'UTC' })
  time_zone!: string;
}
