import type { Execution } from './slots.mjs';

export declare function analyzeBackoff(
  soak: {
    settings: { options: { retryBackoffMultiplier?: number } };
    mix: { tasks: Map<string, { category: string; retryBackoff?: number; retryBackoffMax?: number }> };
    /** Latency faults (`kind: 'latency'`) delay the record of an outcome of their instance. */
    faults?: Array<{ kind: string; pid?: number; at: number; forMs?: number; latencyMs?: number }>;
    /** Hung links delay it until they thaw. */
    instances?: Array<{ pid: number; linkFreezes?: Array<{ at: number; until?: number }> }>;
  },
  index: { perTask: Map<string, Execution[]>; perAttempt: Map<string, Execution[]> },
  excuse: (a: Execution, b: Execution) => unknown,
  /** The wipes' times, or per task name those that erased its data. */
  wipes: number[] | ((task: string) => number[]),
): {
  backoffGates: Map<string, Array<{ from: number; to: number }>>;
  backoffViolations: Array<{
    task: string;
    failedAt: number;
    delayMs: number;
    startedAt: number;
    slot: number;
    failedSlot: number;
    failedAttempt: number;
    failedPid: number;
    startedPid: number;
    /** The failure's rank in its run of consecutive failures (the delay's exponent + 1). */
    consecutive: number;
  }>;
};
