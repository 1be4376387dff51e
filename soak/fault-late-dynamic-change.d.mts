import type { Execution } from './analysis/slots.mjs';
/** What the analysis reads of a soak run (see soak.mjs): its faults, executions and instances. */
interface LateDynamicChangeSoakView {
  settings: { killGraceMs: number };
  faults: Array<{
    n: number;
    kind: string;
    at: number;
    name?: string;
    freezeMs?: number;
    deleteRequestedAt?: number;
    deleteStatus?: number;
    createStatus?: number;
    thawedAt?: number;
    recreatedAt?: number;
  }>;
  executions: Execution[];
  instances: Array<{
    pid: number;
    killedAt?: number;
    stops: Array<{ at: number; until: number }>;
    linkFreezes: Array<{ at: number; until?: number }>;
  }>;
}

export declare const lateDynamicChangeFault: {
  analyze(soak: LateDynamicChangeSoakView): {
    count: number;
    recreated: number;
    timedOut: number;
    maxFreezeMs: number;
    runsWhileDeleteHeld: number;
    maxFirstRunAfterThawMs: number | null;
    slotsRunTwice: Array<{ fault: number; key: string; executions: unknown[] }>;
    failures: string[];
  };
};
