/** Types of runs.js, for the tests only. */
interface RunLike {
  started_at: string;
  scheduled_at: string;
  worker_id: string;
  kind?: string;
}
export declare const PAGE_SIZE: number;
export declare function runPage<T>(
  runs: T[],
  page: number,
  size?: number,
): { rows: T[]; page: number; pages: number; from: number; to: number; total: number };
export declare function runKind(run: Partial<RunLike>): string | null;
export declare function runKey(run: RunLike): string;
export declare function startDelay(run: RunLike): number | null;
