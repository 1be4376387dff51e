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

/** The one rule of a leaderless period: it is a problem once it lasts longer than the tolerance. */
export function leaderlessTooLong(leaderlessMs: number, toleranceMs: number): boolean {
  return leaderlessMs > toleranceMs;
}

/** A partition without a leader, and how long checks have found none. */
export interface LeaderlessPartition {
  partition: number;
  leaderlessMs: number;
}

/** A {@link LeaderWatch} per partition, for a deployment of several partitions. */
export class PartitionLeaderWatch {
  private readonly watches: LeaderWatch[] = [];

  /**
   * Records which partitions have a leader at `nowMs` (by index); returns the leaderless ones, by index, each
   * with how long there has been none.
   */
  observe(hasLeader: readonly boolean[], nowMs: number): LeaderlessPartition[] {
    const leaderless: LeaderlessPartition[] = [];
    hasLeader.forEach((has, partition) => {
      const leaderlessMs = (this.watches[partition] ??= new LeaderWatch()).observe(has, nowMs);
      if (!has) leaderless.push({ partition, leaderlessMs });
    });
    return leaderless;
  }
}
