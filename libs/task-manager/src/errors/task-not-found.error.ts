/** Raised when an operation names a task or group that is not registered. */
export class TaskNotFoundError extends Error {
  override readonly name = 'TaskNotFoundError';
}
