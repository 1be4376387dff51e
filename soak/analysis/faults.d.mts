/** Start times of the wipes (FLUSHALL, Redis restarts) among a soak's faults. */
export declare function wipesOf(soak: { faults: Array<{ kind: string; at: number; wiped?: boolean }> }): number[];
