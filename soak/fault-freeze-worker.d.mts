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

/** The keys a start-runs request names, of each partition (TaskManagerKeys of `nestjs-task-manager/testing`). */
interface DeploymentKeys {
  readonly partitions: number;
  partition(index: number): { dynamic: string; streamHigh: string; streamNormal: string; oneOff: string };
}

/** A start-runs request of any partition of the deployment of `keys`, as the TCP proxy sees its text. */
export declare function startRunsRequest(keys: DeploymentKeys): RegExp;
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
