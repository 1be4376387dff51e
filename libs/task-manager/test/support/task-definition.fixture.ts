import { CronSchedule } from '../../src/cron/cron-schedule.js';
import type { TaskDefinition } from '../../src/registry/task-definition.js';
import { encodeTaskId } from '../../src/registry/task-id.js';

/** A fully resolved task definition, as the factory would build it; override what a test cares about. */
export function makeTask(overrides: Partial<TaskDefinition> = {}): TaskDefinition {
  const expression = overrides.expression ?? '*/5 * * * *';
  const timeZone = overrides.timeZone ?? 'UTC';
  const groupName = overrides.groupName ?? 'reports';
  const name = overrides.name ?? 'refresh';
  return {
    id: encodeTaskId(groupName, name),
    groupName,
    name,
    expression,
    timeZone,
    schedule: CronSchedule.parse(expression, timeZone),
    kwargs: null,
    description: null,
    tags: [],
    highPriority: false,
    allowParallel: true,
    allowParallelOverride: null,
    retryBackoff: null,
    retryBackoffMax: null,
    misfirePolicy: 'runOnce',
    maxAttempts: 1,
    timeoutMs: null,
    dynamic: false,
    functionName: null,
    handler: () => undefined,
    source: 'ReportsTasks.refresh',
    ...overrides,
  };
}
