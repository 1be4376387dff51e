/** Raised at boot for an invalid declaration or option; the message names the offending class/method or option. */
export class TaskManagerConfigurationError extends Error {
  override readonly name = 'TaskManagerConfigurationError';
}
