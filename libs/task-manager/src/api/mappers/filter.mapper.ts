/** Maps filter queries to the service's `TaskFilter`. */
import type { TaskFilter } from '../../registry/task-registry.js';
import { ApiValidationException } from '../api-validation.pipe.js';
import type { TaskFilterQuery } from '../dto/query.dto.js';

/** The service filter of a filter query; `name` and `task_name` are aliases and must agree. */
export function toFilter(query: TaskFilterQuery): TaskFilter {
  if (query.name !== undefined && query.task_name !== undefined && query.name !== query.task_name) {
    throw new ApiValidationException(['name and task_name are aliases of one filter: give one of them']);
  }
  return { groupName: query.task_group_name, name: query.name ?? query.task_name, tag: query.tag };
}

/** The detail of a 404 answer to a bulk action matching no task. */
export function noMatch(filter: TaskFilter): string {
  const parts = Object.entries({ task_group_name: filter.groupName, name: filter.name, tag: filter.tag })
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return parts.length ? `No task matches ${parts.join(', ')}` : 'No task is registered';
}
