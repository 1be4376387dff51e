// Types of soak/fault-link.mjs for the TypeScript tests.
import type { LeaderEvent } from './leadership.mjs';

/** A `latency` fault as the soak records it. */
export interface LatencyFaultRecord {
  n: number;
  kind: string;
  at: number;
  pid: number;
  /** Added to every chunk, each way (ms). */
  latencyMs: number;
  forMs: number;
  /** The instances' leader heartbeat (ms): a round trip under it must keep every lease. */
  heartbeatMs?: number;
}

export declare const latencyFault: {
  needsLink: true;
  analyze(soak: { faults: Array<{ kind: string } & Partial<LatencyFaultRecord>>; leaderEvents: LeaderEvent[] }): {
    count: number;
    maxLatencyMs: number;
    failures: string[];
  };
  describe(analysis: { count: number; maxLatencyMs: number }): string;
};
