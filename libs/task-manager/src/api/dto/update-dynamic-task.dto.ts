import { IsOptional } from 'class-validator';
import { MAX_CRON_LENGTH } from '../../cron/cron-expression.js';
import type { TaskKwargs } from '../../decorators/task.decorator.js';
import type { MisfirePolicy } from '../../options/task-manager-options.interface.js';
import { cronRule, flagRule, MAX_DESCRIPTION_LENGTH, MISFIRE_POLICIES } from '../../task-spec/rules.js';
import { ApiPropertyOptional, ApiSchema } from '../swagger.js';
import {
  IsBackoffSeconds,
  IsKwargs,
  IsMaxAttempts,
  IsMisfirePolicy,
  IsNotBelow,
  IsStrictBoolean,
  IsTagList,
  IsText,
  IsTimeoutMs,
  IsTimeZoneName,
  IsUpdateValue,
  KeepRaw,
} from './validators.js';

/**
 * Body of `PATCH /tasks` (not in FastAPI Task Manager): the fields of a dynamic task to change, each optional;
 * `null` resets a nullable field to its default. Unknown properties and an empty body are rejected (400).
 */
@ApiSchema({ name: 'UpdateDynamicTaskRequest' })
export class UpdateDynamicTaskRequest {
  @ApiPropertyOptional({
    description: 'New cron schedule (5 or 6 fields, or a nickname); its next run is planned again.',
    example: '0 10 * * MON',
    maxLength: MAX_CRON_LENGTH,
  })
  @IsUpdateValue(cronRule)
  cron_expression?: string;

  @ApiPropertyOptional({
    description: "IANA time zone of the expression; null: the module's `timeZone` (UTC by default).",
    example: 'Europe/Paris',
    nullable: true,
    type: String,
  })
  @IsOptional()
  @IsTimeZoneName()
  time_zone?: string | null;

  @ApiPropertyOptional({
    description:
      'Keyword arguments passed to the function (validated by its kwargs DTO when it declares one); null: none.',
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { recipient: 'ops@example.com' },
  })
  @IsOptional()
  @KeepRaw()
  @IsKwargs()
  kwargs?: TaskKwargs | null;

  @ApiPropertyOptional({ description: 'Free text; null: none.', nullable: true, type: String })
  @IsOptional()
  @IsText(MAX_DESCRIPTION_LENGTH)
  description?: string | null;

  @ApiPropertyOptional({
    description: 'Tags of the task (the group tags are always added); null: none.',
    type: [String],
    nullable: true,
    example: ['reports'],
  })
  @IsOptional()
  @IsTagList()
  tags?: string[] | null;

  @ApiPropertyOptional({ description: 'Runs of high-priority tasks are consumed before normal ones.', type: Boolean })
  @IsUpdateValue(flagRule)
  high_priority?: boolean;

  @ApiPropertyOptional({
    description: 'false pauses the task (as `POST /tasks/disable`), true resumes it (as `POST /tasks/enable`).',
    type: Boolean,
    example: true,
  })
  @IsUpdateValue(flagRule)
  enabled?: boolean;

  @ApiPropertyOptional({
    description: "Whether a run may start while another is queued or running; null: the group's, then the module's.",
    nullable: true,
    type: Boolean,
  })
  @IsOptional()
  @IsStrictBoolean()
  allow_parallel?: boolean | null;

  @ApiPropertyOptional({
    description: 'Attempts per slot (a failed run is run again after its backoff); null: 1.',
    nullable: true,
    type: 'integer',
    minimum: 1,
    example: 3,
  })
  @IsOptional()
  @IsMaxAttempts()
  max_attempts?: number | null;

  @ApiPropertyOptional({
    description: 'Abort a run taking longer than this many milliseconds; null: no timeout.',
    nullable: true,
    type: Number,
    example: 60000,
  })
  @IsOptional()
  @IsTimeoutMs()
  timeout_ms?: number | null;

  @ApiPropertyOptional({
    description: "What to do with slots missed while no leader ran; null: the module's `misfirePolicy`.",
    enum: MISFIRE_POLICIES,
    nullable: true,
    type: String,
  })
  @IsOptional()
  @IsMisfirePolicy()
  misfire_policy?: MisfirePolicy | null;

  @ApiPropertyOptional({
    description: 'First backoff delay after a failure, in seconds; null: the module option.',
    nullable: true,
    type: Number,
    example: 5,
  })
  @IsOptional()
  @IsBackoffSeconds()
  retry_backoff?: number | null;

  @ApiPropertyOptional({
    description: 'Largest backoff delay, in seconds; must be >= `retry_backoff`; null: the module option.',
    nullable: true,
    type: Number,
    example: 120,
  })
  @IsOptional()
  @IsBackoffSeconds()
  @IsNotBelow('retry_backoff')
  retry_backoff_max?: number | null;
}
