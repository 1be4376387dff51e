/** Per-run costs and idle figures measured by `npm run bench` (docs/benchmarks.json). */
export interface Costs {
  engineUsPerRun: number;
  redisUsPerRun: number;
  commandsPerRun: number;
  bytesPerTask: number;
  publishShare: number;
  redisPublishShare: number;
  instanceBaseBytes: number;
  instanceBytesPerTask: number;
  idle: Array<{ tasks: number; commandsPerSecond: number; redisCpuPercent: number; processCpuPercent: number }>;
}

export interface Deployment {
  instances: number;
  masters: number;
  /** The `partitions` option: 1 (the default) puts the whole deployment on one hash tag. */
  partitions: number;
}

export interface Load {
  effectiveMasters: number;
  instancesCoresTotal: number;
  leaderPublishCores: number;
  busiestInstanceCores: number;
  otherInstancesCoresMean: number | null;
  busiestMasterCores: number;
  busiestMasterCommandsPerSecond: number;
}

export interface Sized {
  partitions: number;
  masters: number | null;
  instances: number | null;
}

export interface SizeOptions {
  target?: number;
  coresPerInstance?: number;
  seconds?: number;
}

export interface ReplaySetup extends Deployment {
  runs: number;
  arrival: 'aligned' | 'spread';
  windowS?: number;
  coresPerInstance?: number;
  hostCores?: number;
  batch?: number;
  stepMs?: number;
  limitS?: number;
}

export interface Replayed {
  runs: number;
  doneRuns: number;
  finished: boolean;
  drainS: number;
  maxDelayS: number;
  busiestInstanceUtilisation: number;
  busiestMasterUtilisation: number;
  effectiveMasters: number;
}

type CostPick<K extends keyof Costs> = Pick<Costs, K>;
type RunCosts = CostPick<'engineUsPerRun' | 'redisUsPerRun' | 'commandsPerRun' | 'publishShare'>;

export const DEFAULT_TARGET: number;
export const BENCHMARKS_JSON: string;
export const SCALING_MD: string;
export const BEGIN: string;
export const END: string;
export const COST_SOURCES: Record<string, string>;
export const DEFAULT_SETTINGS: Record<string, unknown>;

export function costsFromBenchmarks(bench: unknown): Costs;
export function measuredFromBenchmarks(bench: unknown): Record<string, any>;
export function effectiveMasters(masters: number, partitions: number): number;
export function busiestShare(servers: number, partitions: number): number;
export function load(costs: RunCosts, deployment: Deployment, runs: number, seconds?: number): Load;
export function size(costs: RunCosts, runs: number, options: SizeOptions & { partitions: number }): Sized;
export function sizePartitioned(
  costs: RunCosts,
  runs: number,
  options: SizeOptions,
  maxPartitions?: number,
): Sized | null;
export function ceilings(
  costs: RunCosts,
  target?: number,
  coresPerInstance?: number,
): { masterRunsPerSecond: number; leaderRunsPerSecond: number };
export function memory(
  costs: CostPick<'bytesPerTask' | 'instanceBaseBytes' | 'instanceBytesPerTask'>,
  tasks: number,
  options: { partitions: number; masterMemoryBytes: number; target?: number },
): { redisBytes: number; masters: number | null; instanceBytes: number };
export function replay(
  costs: CostPick<'engineUsPerRun' | 'redisUsPerRun' | 'publishShare' | 'redisPublishShare'>,
  setup: ReplaySetup,
): Replayed;
export function report(bench: unknown, settings?: Record<string, unknown>): Record<string, any>;
export function reportOf(file?: string): Record<string, any>;
export function renderMarkdown(report: Record<string, any>): string;
export function withTables(doc: string, tables: string): string;
