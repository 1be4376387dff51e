import { TaskManagerError } from './task-manager.error.js';

/** The kwargs of a dynamic task exceed `maxKwargsBytes` (HTTP 413). */
export class KwargsTooLargeError extends TaskManagerError {
  override readonly name = 'KwargsTooLargeError';
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`kwargs are ${size} bytes as JSON; the limit is ${limit} bytes (option maxKwargsBytes)`);
  }
}
