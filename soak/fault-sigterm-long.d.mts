/** What the analysis reads of a soak run (see soak.mjs): its faults and the executions seen. */
interface SigtermSoakView {
  faults: Array<{ n: number; kind: string; at: number; pid: number; exitMs?: number; inFlight?: RunRef[] }>;
  executions: Array<RunRef & { pid: number; start: number; end?: number; aborted?: boolean }>;
}
interface RunRef {
  task: string;
  slot: number;
  attempt: number;
}

export declare const sigtermLongFault: {
  analyze(soak: SigtermSoakView): {
    count: number;
    longRunsInFlight: number;
    finishedInTime: number;
    longRunsAborted: number;
    reRun: number;
    maxReRunAfterMs: number | null;
    maxExitMs: number;
    notReRun: Array<RunRef & { fault: number }>;
    failures: string[];
  };
};
