/**
 * Raised by a repartition (`nestjs-task-manager/ops`) that will not start, or not go on, in the state it found:
 * a live instance, a held lease or lock, a partition count other than the one given, another repartition
 * pending. The message says what to do; nothing was changed unless it says otherwise.
 */
export class RepartitionRefusedError extends Error {
  override readonly name = 'RepartitionRefusedError';
}
