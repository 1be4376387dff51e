import type { TaskManagerModuleOptions } from '../options/task-manager-options.interface.js';

/** What {@link repartition} moves, and where to. */
export interface RepartitionOptions {
  /**
   * The deployment's Redis, as the module's `redis` option takes it: a URL, ioredis options (Sentinel too), or
   * `{ cluster: { nodes, options } }` for Redis Cluster.
   */
  readonly redis: NonNullable<TaskManagerModuleOptions['redis']>;
  /** The deployment's `keyPrefix` (required: no default is read from a package.json here). */
  readonly keyPrefix: string;
  /** The partition count to move to, 1..256: the `partitions` option every instance starts with afterwards. */
  readonly to: number;
  /**
   * The partition count the deployment has now, if you want it checked: the repartition reads it from the key
   * prefix's layout marker (1 when there is none) and refuses when it differs.
   */
  readonly from?: number;
  /**
   * A worker whose last heartbeat in the deployment's registry is more recent than this counts as alive, and
   * the repartition refuses to run. A stopped instance leaves the registry at once; a crashed one is silent.
   * Keep it above the deployment's `runningHeartbeatInterval` (a live instance beats that often).
   * @default 30000
   */
  readonly workerSilenceMs?: number;
  /** Called with a line for each stage (the CLI prints them). */
  readonly onProgress?: (line: string) => void;
}

/** What a {@link repartition} did. */
export interface RepartitionSummary {
  readonly keyPrefix: string;
  /** The partition count before. */
  readonly from: number;
  /** The partition count now. */
  readonly to: number;
  /** Whether it finished a repartition that an earlier run had begun (interrupted). */
  readonly resumed: boolean;
  /** Whether there was nothing to do: the deployment already had `to` partitions. */
  readonly unchanged: boolean;
  /** Tasks copied to another partition (schedule entry, signature, state, history, dynamic definition). */
  readonly tasksMoved: number;
  /** Tasks whose partition has the same keys in both layouts: left in place. */
  readonly tasksKept: number;
  /** One-off queue entries (triggers, retries, deferred runs) moved to their task's new partition. */
  readonly oneOffRunsMoved: number;
  /** Runs found in the run streams (queued, or held by a stopped worker) turned into one-off entries. */
  readonly runsConverted: number;
  /** Entries that were not runs or one-off entries (unreadable): dropped, as the engine drops them. */
  readonly dropped: number;
  /** Keys of the former layout deleted (those of tasks moved, and the former partitions' own). */
  readonly keysDeleted: number;
  readonly durationMs: number;
}

/** Test hooks of a repartition (not public). */
export interface RepartitionInternals {
  /** Called after each change written to Redis (numbered from 1); throwing interrupts the run there. */
  readonly afterStep?: (step: number, label: string) => void | Promise<void>;
  /** How long to wait between marking the repartition and checking the workers again. @default 1000 */
  readonly settleMs?: number;
  /** TTL of the repartition lock (renewed every third of it). @default 30000 */
  readonly lockTtlMs?: number;
}
