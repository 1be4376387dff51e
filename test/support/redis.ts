/**
 * Redis helpers for the test suites.
 *
 * - `redisUrl()` is the shared server found or started by `global-setup.ts`.
 * - `topologyRedis()` is the `redis` option of a deployment under test on the run's topology
 *   (`test/support/layout.ts`): that server's URL, or on the cluster topology the local Redis Cluster the
 *   global setup started (`redisClusterNodes()`).
 * - `topologyClient()` reads and writes there (a Cluster client on the cluster topology).
 * - `uniquePrefix()` / `cleanupPrefix()` isolate each test's keys on those shared servers.
 * - `startRedisServer()` starts a private server for tests that must stop, kill or restart Redis (the binary
 *   of `$TM_REDIS_SERVER` when set, else `redis-server` on PATH); it lives in tools/redis-server.mjs, shared
 *   with the soak and the benchmarks.
 * - `waitFor()` polls a condition.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster as RedisCluster, Redis } from 'ioredis';
import { TaskManagerKeys } from 'nestjs-task-manager/testing';
import { inject } from 'vitest';
import { keySlot } from '../../libs/task-manager/src/redis/redis-client.js';
import { testLayout, TOPOLOGY_ENV } from './layout.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the Redis server shared by the whole run (see `test/support/global-setup.ts`). */
    redisUrl: string;
    /** Startup nodes of the run's Redis Cluster, on the cluster topology only (see `test/support/global-setup.ts`). */
    redisClusterNodes?: RedisClusterNode[];
  }
}

/** A startup node of a Redis Cluster. */
export interface RedisClusterNode {
  host: string;
  port: number;
}

/**
 * The environment variable handing the run's Redis Cluster to the processes the tests spawn, as
 * `host:port,host:port,...` (set by `test/support/global-setup.ts` on the cluster topology).
 */
export const CLUSTER_NODES_ENV = 'TM_TEST_CLUSTER_NODES';

/** `host:port,...` of {@link CLUSTER_NODES_ENV}. */
export function formatClusterNodes(nodes: readonly RedisClusterNode[]): string {
  return nodes.map(({ host, port }) => `${host}:${port}`).join(',');
}

function parseClusterNodes(text: string): RedisClusterNode[] {
  return text
    .split(',')
    .filter(Boolean)
    .map((address) => {
      const at = address.lastIndexOf(':');
      const port = Number(address.slice(at + 1));
      if (at <= 0 || !Number.isInteger(port) || port <= 0)
        throw new Error(`${CLUSTER_NODES_ENV}: "${address}" is not host:port`);
      return { host: address.slice(0, at), port };
    });
}

/** URL of the Redis server shared by the test run. */
export function redisUrl(): string {
  let provided: string | undefined;
  try {
    provided = inject('redisUrl');
  } catch {
    // Not inside a Vitest worker (e.g. imported by the global setup): fall back to the environment.
  }
  const url = provided ?? process.env.REDIS_URL;
  if (!url) {
    throw new Error(
      'No Redis URL: run the tests through Vitest (test/support/global-setup.ts provides one) or set REDIS_URL.',
    );
  }
  return url;
}

/** Startup nodes of the Redis Cluster the cluster topology runs on (`TM_TEST_TOPOLOGY=cluster`). */
export function redisClusterNodes(): RedisClusterNode[] {
  let provided: RedisClusterNode[] | undefined;
  try {
    provided = inject('redisClusterNodes');
  } catch {
    // Not inside a Vitest worker: fall back to the environment.
  }
  const nodes = provided ?? parseClusterNodes(process.env[CLUSTER_NODES_ENV] ?? '');
  if (nodes.length === 0) {
    throw new Error(
      `No Redis Cluster: with ${TOPOLOGY_ENV}=cluster, run the tests through Vitest (test/support/global-setup.ts ` +
        `starts one) or set ${CLUSTER_NODES_ENV}=host:port,...`,
    );
  }
  return nodes;
}

/**
 * The `redis` option (of `TaskManagerModule.forRoot`) of a deployment under test on this run's topology: the
 * shared server's URL on standalone, `{ cluster: { nodes } }` on the cluster topology. The one home of the
 * topology's connection options: the worker processes (`test/support/cluster.ts`) and `cleanupPrefix` use it.
 */
export function topologyRedis(): string | { cluster: { nodes: RedisClusterNode[] } } {
  return testLayout().topology === 'cluster' ? { cluster: { nodes: redisClusterNodes() } } : redisUrl();
}

/**
 * A client of this run's topology ({@link topologyRedis}), for a test's own reads and writes: a `Redis` on
 * standalone, a `Cluster` (routing each command by hash slot) on the cluster topology. The caller closes it.
 */
export function topologyClient(): Redis | RedisCluster {
  const topology = topologyRedis();
  return typeof topology === 'string' ? new Redis(topology) : new RedisCluster(topology.cluster.nodes);
}

/** A key prefix unique to one test: `t-<label>-<random hex>`. */
export function uniquePrefix(label: string): string {
  return `t-${label}-${randomBytes(6).toString('hex')}`;
}

/** Escapes the characters that are special in a Redis glob pattern (`* ? [ ] \`). */
export function escapeRedisGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Glob patterns matching every key of key prefix `prefix` in any partition layout: its own tag's (every key of
 * one partition, and the deployment-wide keys of several), `{prefix}:*`, and its partition tags' (those of
 * `TaskManagerKeys.allKeysPatterns` beyond the first, whatever the count), `{{prefix:*`. A prefix that is
 * another's followed by `:` (`a` and `a:b`) would match the other's partition keys: test prefixes have no `:`.
 */
export function keyPatternsOf(prefix: string): string[] {
  return [new TaskManagerKeys(prefix).allKeysPattern, `${escapeRedisGlob(`{{${prefix}:`)}*`];
}

/** Deletes the keys of `client` (one server, or one master of a Cluster) matching `patterns`. */
async function deleteMatching(client: Redis, patterns: string[]): Promise<number> {
  let deleted = 0;
  for (const match of patterns) {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      // One UNLINK per hash slot: a Cluster node refuses keys of several slots in one command.
      const bySlot = new Map<number, string[]>();
      for (const key of keys) bySlot.set(keySlot(key), [...(bySlot.get(keySlot(key)) ?? []), key]);
      for (const group of bySlot.values()) deleted += await client.unlink(...group);
    } while (cursor !== '0');
  }
  return deleted;
}

const CLEANUP_CONNECTION = { connectTimeout: 2_000, maxRetriesPerRequest: 1 };

async function cleanupServer(url: string, patterns: string[]): Promise<number> {
  const client = new Redis(url, { ...CLEANUP_CONNECTION, lazyConnect: true, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await deleteMatching(client, patterns);
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

async function cleanupCluster(nodes: RedisClusterNode[], patterns: string[]): Promise<number> {
  const client = new RedisCluster(nodes, {
    lazyConnect: true,
    redisOptions: CLEANUP_CONNECTION,
    clusterRetryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    let deleted = 0;
    for (const master of client.nodes('master')) deleted += await deleteMatching(master, patterns);
    return deleted;
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

/**
 * Deletes every key of a deployment in any partition layout ({@link keyPatternsOf}; found with SCAN, so it is
 * safe on a shared server), and closes its own connections. Without `url`, on the shared server and, on the
 * cluster topology, on every master of the run's Redis Cluster too ({@link topologyRedis}).
 *
 * @param prefix the `keyPrefix` the deployment used
 * @param url only this server
 * @returns how many keys were deleted
 */
export async function cleanupPrefix(prefix: string, url?: string): Promise<number> {
  const patterns = keyPatternsOf(prefix);
  if (url !== undefined) return cleanupServer(url, patterns);
  let deleted = await cleanupServer(redisUrl(), patterns);
  const topology = topologyRedis();
  if (typeof topology !== 'string') deleted += await cleanupCluster(topology.cluster.nodes, patterns);
  return deleted;
}

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. @default 10000 */
  timeoutMs?: number;
  /** Pause between two evaluations of the predicate. @default 50 */
  intervalMs?: number;
  /** Describes what is awaited, for the timeout error. */
  message?: string;
}

/**
 * Evaluates `predicate` until it returns a truthy value, and resolves with that value.
 * A predicate that throws counts as false; the last error is reported if the wait times out.
 *
 * @throws Error when the predicate is still falsy after `timeoutMs`
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50, message }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const what = message ?? 'condition';
      const cause =
        lastError instanceof Error
          ? ` (last error: ${lastError.message})`
          : lastError === undefined
            ? ''
            : ` (last error: ${String(lastError)})`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${cause}`, {
        cause: lastError,
      });
    }
    await sleep(intervalMs);
  }
}

// The server processes, the port and the binary: one home for the tests, the soak and the benchmarks.
export {
  dataNodeArgs,
  findOnPath,
  findRedisServer,
  freePort,
  pingRedis,
  SERVER_BINARY_ENV,
  startRedisServer,
  type RedisServerHandle,
} from '../../tools/redis-server.mjs';
