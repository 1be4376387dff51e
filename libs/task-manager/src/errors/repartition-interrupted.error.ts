/**
 * Raised by a repartition (`nestjs-task-manager/ops`) that stopped after it began moving data (Redis lost, its
 * lock lost, a failure): what it did is kept, the key prefix stays marked as being repartitioned (no instance
 * starts), and running it again finishes it. The cause is the error that stopped it.
 */
export class RepartitionInterruptedError extends Error {
  override readonly name = 'RepartitionInterruptedError';
}
