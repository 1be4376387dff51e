/** The runs seen of a (task, slot) or of a task (see executions.mjs). */
export interface Execution {
  task: string;
  slot: number;
  attempt: number;
  pid: number;
  start: number;
  end?: number;
  aborted?: boolean;
  failed?: boolean;
}
interface MixTask {
  cron: string;
  category: string;
  highPriority: boolean;
  removedAt?: number;
}
interface DynamicLife {
  cron: string;
  createdAt: number;
  deletedAt?: number;
  wipedAt?: number;
}
interface SlotSoakView {
  analysisFrom: number;
  analysisTo: number;
  mix: { tasks: Map<string, MixTask> };
  dynamic: Map<string, DynamicLife & { previous?: DynamicLife[] }>;
  faults: Array<{ n: number; kind: string; at: number; endAt?: number }>;
  instances: Array<{
    pid: number;
    killedAt?: number;
    linkFreezes?: Array<{ at: number; until?: number }>;
    stops?: Array<{ at: number; until: number }>;
  }>;
  /** (`options.maxDeliveries`: 3 when absent, the module's default.) */
  settings?: { options?: { maxDeliveries?: number } };
  /** The partition of task `name` (the library's mapping); every task is in partition 0 without it. */
  partitionOfTask?: (name: string) => number;
}

export declare function accountSlots(
  soak: SlotSoakView,
  context: {
    perSlot: Map<string, Execution[]>;
    perTask: Map<string, Execution[]>;
    /** `partitions`: the window explains the slots of those partitions' tasks only (all without it). */
    windows: Array<{ from: number; to: number; cause: string; fault?: unknown; partitions?: number[] }>;
    /** The wipes' times, or per task name those that erased its data. */
    wipes: number[] | ((task: string) => number[]);
    backoffGates: Map<string, Array<{ from: number; to: number }>>;
    poisonDeath: (pid: number) => unknown;
    leaseMs: number;
  },
): {
  totals: { due: number; executed: number; executedOnce: number; missed: number };
  missedBy: Record<string, number>;
  missedDetail: Array<{ task: string; slot: number; cause: string; fault: number | null }>;
};
