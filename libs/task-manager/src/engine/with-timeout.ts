import { realTimers, type EngineTimers, type TimerHandle } from './timers.js';

/**
 * The one home of "wait for a promise, but not longer than `ms`" (every timeout race of the library goes
 * through {@link withDeadline}; the timer is always cleared, so no race holds the process open).
 */

/**
 * Settles with `promise`, or rejects after `ms` with what `onTimeout` says: an Error with that message, or
 * the value the function returns (it may also act, e.g. abort the work that timed out). A rejection of
 * `promise` after the deadline is swallowed.
 */
export async function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: string | (() => unknown),
  timers: EngineTimers = realTimers,
): Promise<T> {
  let timer: TimerHandle | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = timers.setTimeout(() => reject(typeof onTimeout === 'string' ? new Error(onTimeout) : onTimeout()), ms);
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    timers.clearTimeout(timer);
  }
}

/**
 * Settles with `promise`, or with undefined after `ms` or when it rejects (the promise is left to settle on
 * its own). For shutdown steps that must not wait on a dead connection.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  timers: EngineTimers = realTimers,
): Promise<T | undefined> {
  return withDeadline(promise, ms, 'timeout', timers).catch(() => undefined);
}
