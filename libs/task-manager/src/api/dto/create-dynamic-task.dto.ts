import { IsOptional } from 'class-validator';
import type { TaskKwargs } from '../../decorators/task.decorator.js';
import { ApiProperty, ApiPropertyOptional } from '../swagger.js';
import {
  IsCronExpression,
  IsKwargs,
  IsLookupName,
  IsNewTaskName,
  IsNotBelow,
  IsPositiveSeconds,
  IsStrictBoolean,
  IsTagList,
  IsText,
  IsTimeZoneName,
  KeepRaw,
} from './validators.js';

/**
 * Body of `POST /tasks` (the seed's `CreateDynamicTaskRequest`, plus an optional `time_zone`). Unknown
 * properties are rejected (400), so that a misspelt optional field is never silently ignored.
 */
export class CreateDynamicTaskRequest {
  @ApiProperty({ description: 'Task group that registers the function.', example: 'Reports' })
  @IsLookupName()
  task_group_name!: string;

  @ApiProperty({ description: 'Registered function to run (see `GET /functions`).', example: 'send_report' })
  @IsLookupName()
  function_name!: string;

  @ApiProperty({
    description: 'Cron schedule: 5 fields (minute hour day month weekday), or 6 with seconds first.',
    example: '0 9 * * MON',
    maxLength: 256,
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
  @IsText(10_000)
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
  @IsPositiveSeconds()
  retry_backoff?: number | null;

  @ApiPropertyOptional({
    description: 'Largest backoff delay, in seconds; must be >= `retry_backoff` (default: the module option).',
    example: 120,
    nullable: true,
    type: Number,
  })
  @IsOptional()
  @IsPositiveSeconds()
  @IsNotBelow('retry_backoff')
  retry_backoff_max?: number | null;

  @ApiPropertyOptional({
    description: 'IANA time zone of the cron expression (default: the module `timeZone`, UTC). Not in the seed.',
    example: 'Europe/Paris',
    nullable: true,
    type: String,
  })
  @IsOptional()
  @IsTimeZoneName()
  time_zone?: string | null;
}
