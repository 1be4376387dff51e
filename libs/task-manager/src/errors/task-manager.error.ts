/**
 * Base of the errors the task manager raises for a caller's mistake (unknown task, invalid definition,
 * conflict...). The management API maps each subclass to an HTTP status; code can use `instanceof`.
 */
export abstract class TaskManagerError extends Error {}
