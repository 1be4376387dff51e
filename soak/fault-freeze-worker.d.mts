/** What the analysis reads of a soak run (see soak.mjs): its faults, executions and instances. */
interface FreezeWorkerSoakView {
  settings: { killGraceMs: number };
  faults: Array<{
    n: number;
    kind: string;
    at: number;
    pid: number;
    freezeMs: number;
    resumedAt?: number;
    duringStart?: boolean;
    startInFlight?: RunRef[];
  }>;
  executions: Array<RunRef & { pid: number; start: number; end?: number; aborted?: boolean }>;
  instances: Array<{
    pid: number;
    killedAt?: number;
    stops: Array<{ at: number; until: number }>;
    linkFreezes: Array<{ at: number; until?: number }>;
  }>;
}
interface RunRef {
  task: string;
  slot: number;
  attempt: number;
}

/** A start-runs request of deployment `prefix`, as the TCP proxy sees its text. */
export declare function startRunsRequest(prefix: string): RegExp;
/** The runs of a start-runs request's text (the complete ones when it was cut short). */
export declare function startedRunsOf(text: string): RunRef[];

export declare const freezeWorkerFault: {
  analyze(soak: FreezeWorkerSoakView): {
    count: number;
    duringStart: number;
    maxFreezeMs: number;
    running: number;
    startsInFlight: number;
    recovered: number;
    maxRecoveredAfterMs: number | null;
    ranAfterRecovery: Array<RunRef & { fault: number; at: number; aborted: boolean; elsewhere: number }>;
    failures: string[];
  };
};
