/** Start times of the wipes (FLUSHALL, Redis restarts) among a soak's faults. */
export declare function wipesOf(soak: { faults: Array<{ kind: string; at: number; wiped?: boolean }> }): number[];
/** Per task name, the start times of the wipes that erased its data (a Redis Cluster restart: its partitions only). */
export declare function wipesOfTask(soak: {
  faults: Array<{ kind: string; at: number; wiped?: boolean; wipedPartitions?: number[] }>;
  partitionOfTask?: (name: string) => number;
}): (task: string) => number[];
