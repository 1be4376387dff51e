import { IsOptional } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '../swagger.js';
import { IsLookupName, IsQueryInteger } from './validators.js';

/** Filters of `GET /tasks` and of the bulk actions: every given filter must match (AND). */
export class TaskFilterQuery {
  @ApiPropertyOptional({ description: 'Only tasks of this task group (exact name).', example: 'Reports' })
  @IsOptional()
  @IsLookupName()
  task_group_name?: string;

  @ApiPropertyOptional({
    description: 'Only the task with this exact name (alias: `task_name`).',
    example: 'send_digest',
  })
  @IsOptional()
  @IsLookupName()
  name?: string;

  @ApiPropertyOptional({ description: 'Only the task with this exact name (alias: `name`).', example: 'send_digest' })
  @IsOptional()
  @IsLookupName()
  task_name?: string;

  @ApiPropertyOptional({
    description: 'Only tasks carrying this tag (task tags include their group tags).',
    example: 'reports',
  })
  @IsOptional()
  @IsLookupName()
  tag?: string;
}

/** Query of `GET /tasks`: the filters, plus optional paging (absent: every matching task). */
export class ListTasksQuery extends TaskFilterQuery {
  @ApiPropertyOptional({ description: 'Return at most this many tasks (after `offset`).', minimum: 1, example: 100 })
  @IsOptional()
  @IsQueryInteger(1)
  limit?: number;

  @ApiPropertyOptional({
    description: 'Skip this many matching tasks first (registration order).',
    minimum: 0,
    example: 0,
  })
  @IsOptional()
  @IsQueryInteger(0)
  offset?: number;
}

/** Query of `GET /task-groups`. */
export class TaskGroupsQuery {
  @ApiPropertyOptional({ description: 'Only the task group with this exact name.', example: 'Reports' })
  @IsOptional()
  @IsLookupName()
  name?: string;

  @ApiPropertyOptional({ description: 'Only task groups carrying this tag.', example: 'reports' })
  @IsOptional()
  @IsLookupName()
  tag?: string;
}

/** Query of `GET /functions`. */
export class FunctionsQuery {
  @ApiPropertyOptional({ description: 'Only functions registered by this task group.', example: 'Reports' })
  @IsOptional()
  @IsLookupName()
  task_group_name?: string;
}

/** Query of `DELETE /tasks`: the dynamic task to delete. */
export class DeleteDynamicTaskQuery {
  @ApiProperty({ description: 'Task group of the dynamic task.', example: 'Reports' })
  @IsLookupName()
  task_group_name!: string;

  @ApiProperty({ description: 'Name of the dynamic task.', example: 'weekly_report' })
  @IsLookupName()
  task_name!: string;
}

/** Path parameters of `GET /tasks/{task_group_name}/{task_name}/statistics` (percent-encode `/` and other reserved characters). */
export class TaskPathParams {
  @ApiProperty({ description: 'Task group name (percent-encoded).', example: 'Reports' })
  @IsLookupName()
  task_group_name!: string;

  @ApiProperty({ description: 'Task name (percent-encoded).', example: 'send_digest' })
  @IsLookupName()
  task_name!: string;
}
