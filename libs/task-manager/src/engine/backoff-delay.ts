import type { TaskDefinition } from '../registry/task-definition.js';
import type { BackoffPolicy } from './coordination.port.js';

/** Module-wide backoff settings (seconds). */
export interface BackoffDefaults {
  readonly retryBackoff: number;
  readonly retryBackoffMax: number;
  readonly retryBackoffMultiplier: number;
}

/** A task's backoff policy: its own first delay and cap when declared, else the module's. */
export function backoffPolicyOf(
  task: Pick<TaskDefinition, 'retryBackoff' | 'retryBackoffMax' | 'maxAttempts'>,
  defaults: BackoffDefaults,
): BackoffPolicy {
  return {
    retryBackoff: task.retryBackoff ?? defaults.retryBackoff,
    retryBackoffMax: task.retryBackoffMax ?? defaults.retryBackoffMax,
    retryBackoffMultiplier: defaults.retryBackoffMultiplier,
    maxAttempts: task.maxAttempts,
  };
}

/**
 * The delay (s) a failure applies: the first delay after a success (`previous` absent), else the previous delay
 * times the multiplier; capped. The same rule is written in Lua in `complete-runs-5.lua`, which cannot import it.
 */
export function nextBackoffDelay(
  previous: number | null | undefined,
  policy: Omit<BackoffPolicy, 'maxAttempts'>,
): number {
  const grown =
    previous === null || previous === undefined ? policy.retryBackoff : previous * policy.retryBackoffMultiplier;
  return Math.min(grown, policy.retryBackoffMax);
}
