// Types of tools/redis-cluster.mjs for the TypeScript tests.
import type { Redis } from 'ioredis';

export const HOST: '127.0.0.1';

/** The `redis-cli` beside `binary` (default: a `$TM_REDIS_SERVER` build), else on PATH, or undefined. */
export function findRedisCli(binary?: string): string | undefined;

/** Why a local Cluster (or Sentinel) cannot be started here (a missing binary), or undefined when it can. */
export function topologyToolsMissing(binary?: string): string | undefined;

/** One redis-server process (a data node or a sentinel). */
export class RedisProcess {
  readonly port: number;
  readonly label: string;
  constructor(port: number, args: string[], label: string, binary?: string);
  readonly url: string;
  readonly running: boolean;
  /** The server's pid while it runs. */
  readonly pid: number | undefined;
  /** What the process printed lately (for failure messages). */
  readonly log: string;
  /** Starts the process and waits until it answers PING. */
  start(timeoutMs?: number): Promise<this>;
  /** Sends `signal` (SIGKILL: a crash). */
  kill(signal?: NodeJS.Signals): void;
  /** Kills the process and waits for its exit. */
  stop(): Promise<void>;
  /** A short-lived client of this process (closed by `use`). */
  use<T>(fn: (client: Redis) => Promise<T>): Promise<T>;
}

/** Ports for `count` processes: distinct, free when returned. */
export function freePorts(count: number): Promise<number[]>;

/** Runs `fn` a few times: a port found free may be taken before the server binds it. */
export function withPortRetries<T>(fn: () => Promise<T>, cleanup: () => Promise<void>): Promise<T>;

/** A running local Redis Cluster. */
export interface RedisClusterHandle {
  /** The masters' addresses (startup nodes for ioredis). */
  readonly nodes: Array<{ host: string; port: number }>;
  readonly processes: RedisProcess[];
  /** Waits until every node sees every master with `cluster_state:ok` (throws after `timeoutMs`). */
  waitUntilOk(timeoutMs: number): Promise<void>;
  /**
   * Crashes master `index` (SIGKILL), waits `downMs`, starts it again on its port with its files (back empty,
   * with its node id and slots) and waits until the cluster is ok again. Returns when it answered PING again
   * and when the cluster was ok (ms since the epoch).
   */
  restart(
    index: number,
    options?: { downMs?: number; timeoutMs?: number },
  ): Promise<{ answeredAt: number; okAt: number }>;
  /** Kills every node and deletes its files. */
  stop(): Promise<void>;
}

/** Starts `masters` cluster-enabled servers, creates the cluster over them and waits until its state is ok. */
export function startRedisCluster(options?: { masters?: number; binary?: string }): Promise<RedisClusterHandle>;

/** The port of the master serving hash slot `slot`, from CLUSTER SLOTS of `client` (any client of the cluster). */
export function masterPortServing(
  client: { cluster(subcommand: 'SLOTS'): Promise<unknown> },
  slot: number,
): Promise<number>;
