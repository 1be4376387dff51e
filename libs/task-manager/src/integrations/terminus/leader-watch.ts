/**
 * Tracks how long a deployment has been without a leader, from successive observations. It counts from the
 * first observation that found no leader, so sparse checks under-report a leaderless period (by at most one
 * check interval) but never report one that did not happen.
 */
export class LeaderWatch {
  private missingSince: number | null = null;

  /** Records whether a leader exists at `nowMs`; returns how long there has been none (0 when there is one). */
  observe(hasLeader: boolean, nowMs: number): number {
    if (hasLeader) {
      this.missingSince = null;
      return 0;
    }
    this.missingSince ??= nowMs;
    return nowMs - this.missingSince;
  }
}
