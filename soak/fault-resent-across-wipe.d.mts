// Types of soak/fault-resent-across-wipe.mjs for the TypeScript tests (its analyses).

interface Execution {
  task: string;
  slot: number;
  attempt: number;
  pid: number;
  start: number;
  end?: number;
  aborted?: boolean;
}

/** What the analyses read of a soak run (see soak.mjs): settings, faults, executions and the mix. */
interface ResentAcrossWipeSoakView {
  settings: { options: Record<string, number> };
  faults: Array<{ n: number; kind: string; at: number; [key: string]: unknown }>;
  executions: Execution[];
}

/** How long after the wipe slots may take to resume (ms), from the module options. */
export declare function resumeBoundMs(options: Record<string, number>): number;

export declare const lostFailureThenWipeFault: {
  mixEntries: Array<Record<string, unknown>>;
  analyze(soak: ResentAcrossWipeSoakView): { count: number; swallowed: number; armed: number; failures: string[] };
};

export declare const wipeRegisterResentFault: {
  /** (`mix`: the static tasks, to tell the per-second ones.) */
  analyze(soak: ResentAcrossWipeSoakView & { mix: { tasks: Map<string, { category: string }> } }): {
    count: number;
    swallowed: number;
    byNewLeader: number;
    maxResumedAfterMs: number;
    notResumed: number;
    boundMs: number;
    failures: string[];
  };
};
