/**
 * A run history entry (a STREAM entry of `history:<id>`, written by `complete-runs`): `ts` start (ms), `d`
 * duration (s), `st` status, `e` error, `w` worker, `s` slot, `a` attempt, `k` run kind, `kw` the run's own
 * kwargs as JSON text (absent: it ran with its task's), `es` the failure's stack trace (absent: none). Both
 * drivers keep the same fields; the stack is cut to {@link MAX_RECORDED_STACK} characters.
 */

/** Longest stack trace kept in a history entry (characters). */
export const MAX_RECORDED_STACK = 4096;

/** The stack trace to record of a failure ('' for none). */
export function recordedStack(stack: string | undefined): string {
  return (stack ?? '').slice(0, MAX_RECORDED_STACK);
}
