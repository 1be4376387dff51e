/**
 * Response bodies of the task endpoints, field for field the seed's models (snake_case). Schema names in
 * the OpenAPI document are the seed's (`TaskDetailed`, `TaskActionResponse`, ...).
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
  @ApiProperty({ description: 'Tasks of the group, dynamic ones included.', example: 3 })
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
  @ApiProperty({ example: 'Reports' })
  task_group_name!: string;
  @ApiProperty({ ...kwargsSchema, description: 'Keyword arguments passed to the handler; null when none.' })
  kwargs!: TaskKwargs | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Registered function of a dynamic task; null for static tasks.',
  })
  function_name!: string | null;
  @ApiProperty(timestamp('Next scheduled slot (UTC); null when not scheduled yet.'))
  next_run!: string | null;
  @ApiProperty({ description: 'False when the task is disabled.', example: true })
  is_active!: boolean;
  @ApiProperty({ description: 'A run of the task is executing now, on any instance.', example: false })
  is_running!: boolean;
  @ApiProperty(
    timestamp('The task is not scheduled before this instant (retry backoff); null when no failure is pending.'),
  )
  retry_after!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Current backoff delay in seconds; null when none.' })
  retry_delay!: number | null;
  @ApiProperty({ description: 'IANA time zone of the expression (not in the seed).', example: 'UTC' })
  time_zone!: string;
  @ApiProperty({
    type: String,
    enum: ['success', 'failed'],
    nullable: true,
    description: 'Outcome of the latest finished run; null before the first one (not in the seed).',
    example: 'success',
  })
  last_status!: string | null;
  @ApiProperty(timestamp('When the latest finished run started; null before the first one (not in the seed).'))
  last_run!: string | null;
}

/** One run of a task (`runs` of `GET /tasks/{group}/{task}/statistics`). */
@ApiSchema({ name: 'TaskRun' })
export class TaskRunResponse {
  @ApiProperty({ format: 'date-time', description: 'When the run started (UTC).', example: '2026-03-08T10:00:00.012Z' })
  run_date!: string;
  @ApiProperty({ description: 'Duration in seconds.', example: 0.42 })
  durations_second!: number;
  @ApiProperty({ enum: ['success', 'failed'], description: 'Outcome (not in the seed).', example: 'success' })
  status!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Error message of a failed run (not in the seed).' })
  error!: string | null;
  @ApiProperty({
    description: 'Instance that executed the run (not in the seed).',
    example: 'nest-task-manager-host-1234-ab12',
  })
  worker_id!: string;
  @ApiProperty({
    format: 'date-time',
    description: 'Slot the run executed (not in the seed).',
    example: '2026-03-08T10:00:00Z',
  })
  scheduled_at!: string;
}

/** Aggregates over the runs kept in the history. */
@ApiSchema({ name: 'TaskStatisticsSummary' })
export class TaskStatisticsSummaryResponse {
  @ApiProperty({ description: 'Runs in the history.', example: 12 })
  count!: number;
  @ApiProperty({ description: 'Failed runs in the history.', example: 1 })
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
  @ApiProperty({ type: TaskStatisticsSummaryResponse, description: 'Not in the seed.' })
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
  @ApiProperty({ example: 1 })
  count!: number;
}

/** A function usable by dynamic tasks. */
@ApiSchema({ name: 'RegisteredFunctionInfo' })
export class RegisteredFunctionInfoResponse {
  @ApiProperty({ example: 'Reports' })
  task_group_name!: string;
  @ApiProperty({ example: 'send_report' })
  function_name!: string;
}

/** `GET /functions`. */
@ApiSchema({ name: 'RegisteredFunctionsResponse' })
export class RegisteredFunctionsResponse {
  @ApiProperty({ type: [RegisteredFunctionInfoResponse] })
  functions!: RegisteredFunctionInfoResponse[];
  @ApiProperty({ example: 1 })
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
  @ApiProperty({ ...kwargsSchema, example: { recipient: 'ops@example.com' } })
  kwargs!: TaskKwargs | null;
  @ApiProperty({ enum: [true], example: true })
  dynamic!: true;
  @ApiProperty({ description: 'IANA time zone of the expression (not in the seed).', example: 'UTC' })
  time_zone!: string;
}
