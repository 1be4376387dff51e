/** Maps filter queries to the service's `TaskFilter`. */
import type { TaskFilter } from '../../registry/task-registry.js';
import { messages } from '../../task-manager.messages.js';
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
  return messages.noTaskMatches(filter);
}
