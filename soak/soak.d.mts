// Types of soak/soak.mjs for the TypeScript tests (test/reliability/soak-short.e2e-spec.ts).

/** Where the soak's instances coordinate: one private redis-server, or a private local 3-master Redis Cluster. */
export type SoakTopology = 'standalone' | 'cluster';

/** Settings of a soak run (see SOAK_DEFAULTS in soak.mjs for their meaning and defaults). */
export interface SoakSettings {
  minutes: number;
  instances: number;
  tasks: number;
  /** Partitions of the deployment (the module option, 1..256). @default 1 */
  partitions: number;
  /** @default 'standalone' */
  topology: SoakTopology;
  seed: number;
  highPriority: boolean;
  faultEveryMs: [number, number];
  warmupMs: number;
  longMs: [number, number];
  tailMs?: number;
  faultMarginMs: number;
  killGraceMs: number;
  faults: Array<
    | 'kill-leader'
    | 'kill-random'
    | 'freeze-leader'
    | 'redis-restart'
    | 'flushall'
    | 'dynamic'
    | 'sigterm-long'
    | 'drop-reply'
    | 'freeze-link'
    | 'latency'
    | 'clock-skew'
    | 'poison-pill'
    | 'cpu-bound'
    | 'dynamic-redefine'
    | 'static-removal'
    | 'wipe-lost-completion'
    | 'freeze-then-wipe'
    | 'lost-failure-then-wipe'
    | 'wipe-register-resent'
    | 'freeze-worker'
    | 'late-dynamic-change'
  >;
  options: Record<string, unknown>;
}

export interface SoakFault {
  n: number;
  kind: string;
  at: number;
  endAt: number;
  pid?: number;
  /** Whether its victim led partitions, and which (their slots wait for the failover; the others' do not). */
  wasLeader?: boolean;
  ledPartitions?: number[];
  /** Leader faults: until every partition the victim led was led by another instance (ms after `at`). */
  failoverMs?: number | null;
  /** Redis Cluster restarts: the partitions whose data the restarted master lost. */
  wipedPartitions?: number[];
  recoveryMs?: number | null;
  missed?: number;
  [key: string]: unknown;
}

export interface MissedSlot {
  task: string;
  slot: number;
  cause: string;
  fault: number | null;
  logs?: unknown[];
}

/** The report of a soak run (the raw JSON of docs/reliability-soak.json). */
export interface SoakReport {
  settings: SoakSettings;
  window: { from: number; to: number; seconds: number };
  tasks: {
    static: number;
    byCategory: Record<string, number>;
    highPriority: number;
    dynamicCreated: number;
    dynamicDeleted: number;
    dynamicWiped: number;
    dynamicPropagationMaxMs: number | null;
  };
  executions: { total: number; completed: number; failed: number; aborted: number };
  slots: {
    due: number;
    executed: number;
    executedOnce: number;
    duplicated: number;
    missed: number;
    missedByCause: Record<string, number>;
    unexplainedMissed: MissedSlot[];
    missedSample: MissedSlot[];
  };
  duplicates: Array<{ key: string; executions: unknown[]; logs?: unknown[] }>;
  reExecutions: Record<string, number>;
  recordedDuplicates: unknown[] | null;
  runsAfterDeletion: unknown[];
  backoffViolations: unknown[];
  lateness: Record<string, number | null>;
  faults: { total: number; byKind: Record<string, number>; list: SoakFault[] };
  leadership: {
    acquisitions: number;
    leaderChanges: number;
    maxFailoverMs: number | null;
    failoversMs: number[];
    maxLeaderlessAfterRedisRestartMs: number | null;
    frozenLeadersStillClaiming: number;
    maxStepDownAfterResumeMs: number | null;
  };
  recovery: {
    killedRuns: number;
    recovered: number;
    maxRecoveryMs: number | null;
    unrecovered: unknown[];
    maxWipeRecoveryMs: number | null;
  };
  processes: {
    started: number;
    crashes: unknown[];
    unhandledRejections: unknown[];
    shutdown: Array<{ pid: number; exited: boolean; code: number | null; signal: string | null }>;
    errorLogLines: number;
    errorKinds: Record<string, number>;
    warnLogLines: number;
  };
  api: {
    total: number;
    byStatus: Record<string, number>;
    unexpected: unknown[];
    dynamicErrors: unknown[];
  };
  memory: {
    instances: Array<{
      pid: number;
      slot: number;
      lifetimeS: number;
      killed: boolean;
      startRssMb: number | null;
      endRssMb: number | null;
      maxRssMb: number | null;
      samples: number;
    }>;
    redisStartMb: number | null;
    redisEndMb: number | null;
    redisMaxMb: number | null;
  };
  backlog: { maxStreamHigh: number | null; maxStreamNormal: number | null; maxOneoff: number | null };
  final: {
    streamHigh: number;
    streamNormal: number;
    pendingHigh: number | null;
    pendingNormal: number | null;
    oneoff: number;
    historyMaxLength: number;
    historyCap: number;
    historyKeysWithoutTtl: number;
    recordedDuplicates: number;
    workers: number;
    liveInstances: number;
    keys: number;
    [key: string]: unknown;
  } | null;
  /** Analysis of each fault kept in its own module (soak/extra-faults.mjs) that occurred. */
  extraFaults: Record<string, { failures: string[]; [key: string]: unknown }>;
  acceptance?: { passed: boolean; failures: string[] };
}

export declare const SOAK_OPTIONS: Record<string, number>;
export declare const SOAK_DEFAULTS: SoakSettings;
export declare function buildMix(
  total?: number,
  longMs?: [number, number],
  highPriority?: boolean,
): { entries: unknown[]; tasks: Map<string, { cron: string; category: string; highPriority: boolean }> };
/** What is wrong with a layout (partitions, topology), if anything. */
export declare function layoutProblem(layout: { partitions: unknown; topology: unknown }): string | undefined;
export declare function runSoak(input?: Partial<SoakSettings>, log?: (line: string) => void): Promise<SoakReport>;
