/** Maps the body of `PATCH /tasks` to the service's `UpdateDynamicTaskInput`. */
import type { UpdateDynamicTaskInput } from '../../registry/dynamic-task.js';
import { ApiValidationException } from '../api-validation.pipe.js';
import type { UpdateDynamicTaskRequest } from '../dto/update-dynamic-task.dto.js';

/** Each body field and its service name. */
const FIELDS = {
  cron_expression: 'cronExpression',
  time_zone: 'timeZone',
  kwargs: 'kwargs',
  description: 'description',
  tags: 'tags',
  high_priority: 'highPriority',
  enabled: 'enabled',
  allow_parallel: 'allowParallel',
  max_attempts: 'maxAttempts',
  timeout_ms: 'timeoutMs',
  misfire_policy: 'misfirePolicy',
  retry_backoff: 'retryBackoff',
  retry_backoff_max: 'retryBackoffMax',
} as const satisfies Record<keyof UpdateDynamicTaskRequest, keyof UpdateDynamicTaskInput>;

/**
 * The update the body asks for: the fields it gives (null included), under their service names.
 * @throws ApiValidationException (400) when it gives none
 */
export function toUpdate(body: UpdateDynamicTaskRequest): UpdateDynamicTaskInput {
  const update: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(FIELDS)) {
    const value = body[field as keyof UpdateDynamicTaskRequest];
    if (value !== undefined) update[name] = value;
  }
  if (Object.keys(update).length === 0) {
    throw new ApiValidationException([
      `Request body gives no field to change: give at least one of ${Object.keys(FIELDS).join(', ')}`,
    ]);
  }
  return update as UpdateDynamicTaskInput;
}
