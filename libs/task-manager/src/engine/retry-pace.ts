/** A retry pause that doubles per failure up to a cap. */
export interface RetryPace {
  /** Pause after the first failure (ms)... */
  baseMs: number;
  /** ...doubling up to this (ms). */
  maxMs: number;
}

/** The pause after `failures` failures: `baseMs` × 2^failures, at most `maxMs`. */
export function retryPause(pace: RetryPace, failures: number): number {
  return Math.min(pace.baseMs * 2 ** Math.min(failures, 30), pace.maxMs);
}
