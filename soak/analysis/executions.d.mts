// Types of soak/analysis/executions.mjs for the TypeScript tests.
import type { Execution } from './slots.mjs';

/** An execution that ended and was not aborted. */
export declare function completed(e: Execution): boolean;

/** Why `y` may legitimately re-execute what `x` completed, or undefined (see executions.mjs). */
export declare function makeExcuse(soak: {
  settings: { killGraceMs: number };
  faults: Array<{ kind: string; at: number; upAt?: number; wipedPartitions?: number[] }>;
  instances: Array<{
    pid: number;
    killedAt?: number;
    stops: Array<{ at: number; until: number }>;
    linkFreezes: Array<{ at: number; until?: number }>;
  }>;
  partitionOfTask?: (name: string) => number;
}): (x: Execution, y: Execution) => string | undefined;
