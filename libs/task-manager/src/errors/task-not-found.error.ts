import { TaskManagerError } from './task-manager.error.js';

/** No registered task or group matches (HTTP 404). */
export class TaskNotFoundError extends TaskManagerError {
  override readonly name = 'TaskNotFoundError';
}
