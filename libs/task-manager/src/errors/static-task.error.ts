import { TaskManagerError } from './task-manager.error.js';

/** The operation only applies to dynamic tasks, and the task is static (HTTP 400). */
export class StaticTaskError extends TaskManagerError {
  override readonly name = 'StaticTaskError';
}
