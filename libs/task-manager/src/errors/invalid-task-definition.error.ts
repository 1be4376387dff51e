import { TaskManagerError } from './task-manager.error.js';

/** A dynamic task definition is invalid: unknown function, bad cron or time zone, invalid kwargs (HTTP 400). */
export class InvalidTaskDefinitionError extends TaskManagerError {
  override readonly name = 'InvalidTaskDefinitionError';
  constructor(
    message: string,
    /** Individual problems (e.g. one per failed kwargs constraint). */
    readonly problems: string[] = [message],
  ) {
    super(message);
  }
}
