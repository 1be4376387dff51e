import { TaskManagerError } from './task-manager.error.js';

/** A task with that name already exists in the group (HTTP 409). */
export class TaskConflictError extends TaskManagerError {
  override readonly name = 'TaskConflictError';
}
