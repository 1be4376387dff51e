import { IsOptional } from 'class-validator';
import { MAX_CRON_LENGTH } from '../../cron/cron-expression.js';
import type { TaskKwargs } from '../../decorators/task.decorator.js';
import { MAX_DESCRIPTION_LENGTH } from '../../task-spec/rules.js';
import { ApiProperty, ApiPropertyOptional } from '../swagger.js';
import {
  IsCronExpression,
  IsKwargs,
  IsLookupName,
  IsMaxAttempts,
  IsMisfirePolicy,
  IsNewTaskName,
  IsNotBelow,
  IsBackoffSeconds,
  IsStrictBoolean,
  IsTagList,
  IsText,
  IsTimeoutMs,
  IsTimeZoneName,
  KeepRaw,
} from './validators.js';
import { MISFIRE_POLICIES } from '../../task-spec/rules.js';
import type { MisfirePolicy } from '../../options/task-manager-options.interface.js';

/**
 * Body of `POST /tasks` (FastAPI Task Manager's `CreateDynamicTaskRequest`, plus an optional `time_zone`). Unknown
 * properties are rejected (400), so that a misspelt optional field is never silently ignored.
 */
export class CreateDynamicTaskRequest {
  @ApiProperty({ description: 'Task group that registers the function.', example: 'Reports' })
  @IsLookupName()
  task_group_name!: string;

  @ApiProperty({
    description:
      'Registered function to run, as `GET /functions` lists it (for a @Task method its task name; its method name is accepted too).',
    example: 'send_report',
  })
  @IsLookupName()
  function_name!: string;

  @ApiProperty({
    description:
      'Cron schedule: 5 fields (minute hour day month weekday), 6 with seconds first, or a nickname: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly. A step must be within its field (`*/61` is refused).',
    example: '0 9 * * MON',
    maxLength: MAX_CRON_LENGTH,
  })
  @IsCronExpression()
  cron_expression!: string;

  @ApiPropertyOptional({
    description:
      "Keyword arguments passed to the function (a JSON object; limited by the `maxKwargsBytes` option, 64 KiB by default, and validated by the function's kwargs DTO when it declares one).",
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { recipient: 'ops@example.com' },
  })
  @IsOptional()
  @KeepRaw()
  @IsKwargs()
  kwargs?: TaskKwargs | null;

  @ApiPropertyOptional({
    description:
      'Task name, unique in its group. When omitted: `<function>_<8 hex digits>`, derived from the expression, time zone and kwargs.',
    example: 'weekly_report',
    nullable: true,
    type: String,
  })
  @IsOptional()
  @IsNewTaskName()
  name?: string | null;

  @ApiPropertyOptional({
    description: 'Free text shown by the API.',
    example: 'Send weekly report every Monday at 9am',
    nullable: true,
    type: String,
  })
  @IsOptional()
  @IsText(MAX_DESCRIPTION_LENGTH)
  description?: string | null;

  @ApiPropertyOptional({
    description: 'Runs of high-priority tasks are consumed before normal ones.',
    default: false,
    nullable: true,
    type: Boolean,
  })
  @IsOptional()
  @IsStrictBoolean()
  high_priority?: boolean | null;

  @ApiPropertyOptional({
    description: 'Tags for filtering (merged with the group tags).',
    type: [String],
    nullable: true,
    example: ['reports'],
  })
  @IsOptional()
  @IsTagList()
  tags?: string[] | null;

  @ApiPropertyOptional({
    description: 'First backoff delay after a failure, in seconds (default: the module option).',
    example: 5,
    nullable: true,
    type: Number,
  })
  @IsOptional()
  @IsBackoffSeconds()
  retry_backoff?: number | null;

  @ApiPropertyOptional({
    description: 'Largest backoff delay, in seconds; must be >= `retry_backoff` (default: the module option).',
    example: 120,
    nullable: true,
    type: Number,
  })
  @IsOptional()
  @IsBackoffSeconds()
  @IsNotBelow('retry_backoff')
  retry_backoff_max?: number | null;

  @ApiPropertyOptional({
    description:
      "Whether a run may start while another of this task is queued or running; null or absent: the group's, then the module's `allowParallel`.",
    example: false,
    nullable: true,
    type: Boolean,
  })
  @IsOptional()
  @IsStrictBoolean()
  allow_parallel?: boolean | null;

  @ApiPropertyOptional({
    description:
      'IANA time zone of the cron expression (default: the module `timeZone`, UTC). Not in FastAPI Task Manager.',
    example: 'Europe/Paris',
    nullable: true,
    type: String,
  })
  @IsOptional()
  @IsTimeZoneName()
  time_zone?: string | null;

  @ApiPropertyOptional({
    description:
      'Attempts per slot: a failed run is run again after its backoff delay until this many attempts failed (default 1). Not in FastAPI Task Manager.',
    example: 3,
    nullable: true,
    type: 'integer',
    minimum: 1,
  })
  @IsOptional()
  @IsMaxAttempts()
  max_attempts?: number | null;

  @ApiPropertyOptional({
    description:
      "Abort a run taking longer than this many milliseconds (its handler's signal is aborted and the run fails); default: no timeout. Not in FastAPI Task Manager.",
    example: 60000,
    nullable: true,
    type: Number,
  })
  @IsOptional()
  @IsTimeoutMs()
  timeout_ms?: number | null;

  @ApiPropertyOptional({
    description:
      "What to do with slots missed while no leader ran (default: the module's `misfirePolicy`). Not in FastAPI Task Manager.",
    enum: MISFIRE_POLICIES,
    nullable: true,
    type: String,
    example: 'runOnce',
  })
  @IsOptional()
  @IsMisfirePolicy()
  misfire_policy?: MisfirePolicy | null;
}
