// Types of soak/leadership.mjs for the TypeScript tests.

/** A `leader` event of an instance, as the soak records it (times on the soak's clock). */
export interface LeaderEvent {
  pid: number;
  isLeader: boolean;
  /** The partitions it leads after this change ([0] for the leader of one partition). */
  partitions: number[];
  t: number;
}

/** The partitions instance `pid` leads by its last event at or before `t`. */
export declare function ledBy(events: LeaderEvent[], pid: number, t?: number): number[];

/** Every acquisition of a partition's lease, in the order of the events. */
export declare function acquisitionsOf(events: LeaderEvent[]): Array<{ pid: number; partition: number; t: number }>;

/** When every partition of `partitions` (those `victim` led) was led by another instance after `after`. */
export declare function takeoverAt(
  events: LeaderEvent[],
  query: { after: number; victim?: number; partitions: number[]; isAlive?: (pid: number, t: number) => boolean },
): number | undefined;

/** The partitions `pid` led at `from`, lost within (`from`, `to`] and was the next to acquire again within it. */
export declare function leasesRetakenBy(
  events: LeaderEvent[],
  window: { pid: number; from: number; to: number },
): number[];
