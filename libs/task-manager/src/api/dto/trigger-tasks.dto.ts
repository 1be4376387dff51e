import { IsOptional } from 'class-validator';
import type { TaskKwargs } from '../../decorators/task.decorator.js';
import { ApiPropertyOptional, ApiSchema } from '../swagger.js';
import { IsKwargs, KeepRaw } from './validators.js';

/**
 * Optional body of `POST /tasks/trigger` (not in FastAPI Task Manager, whose trigger takes none: a request
 * without a body triggers as before).
 */
@ApiSchema({ name: 'TriggerTasksRequest' })
export class TriggerTasksRequest {
  /** The body may be left out (see `ApiValidationPipe`). */
  static readonly optionalBody = true;

  @ApiPropertyOptional({
    description:
      "Run once with these keyword arguments instead of the task's own (validated as a dynamic task's kwargs, by the function's kwargs DTO when it declares one); recorded in the run history with the run.",
    type: 'object',
    additionalProperties: true,
    example: { recipient: 'ops@example.com' },
  })
  @IsOptional()
  @KeepRaw()
  @IsKwargs()
  kwargs?: TaskKwargs;
}
