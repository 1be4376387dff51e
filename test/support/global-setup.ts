/**
 * Vitest global setup: makes sure a Redis server is available to every test file.
 *
 * 1. `TM_REDIS_SERVER` set (a server binary, e.g. a Valkey or Redis 8 build of `npm run test:servers`): start
 *    a private server from it on a free port (stopped on teardown); `REDIS_URL` and 6379 are not used.
 * 2. `REDIS_URL` set: use it (it must answer PING).
 * 3. Something answers PING on 127.0.0.1:6379: use `redis://127.0.0.1:6379`.
 * 4. Otherwise start a private `redis-server` on a free port (stopped on teardown).
 *
 * The URL reaches the workers twice: `project.provide('redisUrl')` (read with `inject('redisUrl')`)
 * and `process.env.REDIS_URL` (inherited by the forked workers and by processes they spawn).
 *
 * On the cluster topology (`TM_TEST_TOPOLOGY=cluster`, `test/support/layout.ts`) it also starts one local
 * 3-master Redis Cluster (`startRedisCluster`, from the `$TM_REDIS_SERVER` binary when set), stopped on
 * teardown; its nodes reach the workers the same two ways, `provide('redisClusterNodes')` and
 * `TM_TEST_CLUSTER_NODES` (read with `redisClusterNodes()`). The standalone server stays available.
 *
 * Vitest runs this file once per project (and for the root project); the first run decides and the
 * others reuse its result, so at most one server (and one Cluster) is started per Vitest process.
 */
import { spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { startRedisCluster, topologyToolsMissing, type RedisClusterHandle } from '../../tools/redis-cluster.mjs';
import { testLayout, TOPOLOGY_ENV } from './layout.js';
import {
  CLUSTER_NODES_ENV,
  findRedisServer,
  formatClusterNodes,
  pingRedis,
  SERVER_BINARY_ENV,
  startRedisServer,
  type RedisServerHandle,
} from './redis.js';

const DEFAULT_URL = 'redis://127.0.0.1:6379';

interface SharedState {
  url?: Promise<string>;
  server?: RedisServerHandle;
  /** The Redis Cluster of the cluster topology (undefined on standalone). */
  cluster?: Promise<RedisClusterHandle | undefined>;
  users: number;
}

// Shared through globalThis: Vitest may load this module once per project.
const STATE_KEY = Symbol.for('nestjs-task-manager.test.global-redis');
const globals = globalThis as typeof globalThis & {
  [STATE_KEY]?: SharedState;
};
const state: SharedState = (globals[STATE_KEY] ??= { users: 0 });

/** Credentials in a URL are not printed. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** What the server says it is, e.g. `Valkey server v=8.1.1` (for the run's log). */
function serverVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /^.*?v=\S+/.exec(out.trim())?.[0] ?? binary;
}

async function startChosenServer(binary: string): Promise<string> {
  state.server = await startRedisServer({ startTimeoutMs: 15_000 });
  console.log(`[global-setup] ${SERVER_BINARY_ENV}: started ${serverVersion(binary)} on ${state.server.url}`);
  return state.server.url;
}

async function resolveRedisUrl(): Promise<string> {
  // findRedisServer() throws when $TM_REDIS_SERVER is set but not executable.
  const chosen = process.env[SERVER_BINARY_ENV] ? findRedisServer() : undefined;
  if (chosen) return startChosenServer(chosen);
  const configured = process.env.REDIS_URL;
  if (configured) {
    if (!(await pingRedis(configured, 2_000))) {
      throw new Error(
        `REDIS_URL is set to ${redact(configured)} but that server does not answer PING. ` +
          'Start it, or unset REDIS_URL to let the tests use 127.0.0.1:6379 or start their own redis-server.',
      );
    }
    return configured;
  }
  if (await pingRedis(DEFAULT_URL, 1_000)) return DEFAULT_URL;

  // startRedisServer throws a clear "apt-get install redis-server" error when it is missing.
  state.server = await startRedisServer({ startTimeoutMs: 15_000 });
  console.log(`[global-setup] no Redis on 127.0.0.1:6379: started redis-server on ${state.server.url}`);
  return state.server.url;
}

/** On the cluster topology, the local 3-master Redis Cluster its tests coordinate through. */
async function startTopologyCluster(): Promise<RedisClusterHandle | undefined> {
  if (testLayout().topology !== 'cluster') return undefined;
  const missing = topologyToolsMissing();
  if (missing) throw new Error(`${TOPOLOGY_ENV}=cluster needs a local Redis Cluster, which cannot start: ${missing}`);
  const cluster = await startRedisCluster({ masters: 3 });
  console.log(
    `[global-setup] ${TOPOLOGY_ENV}=cluster: started a Redis Cluster on ${formatClusterNodes(cluster.nodes)}`,
  );
  return cluster;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  state.url ??= resolveRedisUrl();
  state.cluster ??= startTopologyCluster();
  // Both settle before a failure stops what the other started.
  const [found, started] = await Promise.allSettled([state.url, state.cluster]);
  if (found.status === 'rejected' || started.status === 'rejected') {
    await stopStarted();
    throw found.status === 'rejected' ? found.reason : (started as PromiseRejectedResult).reason;
  }
  const url = found.value;
  const cluster = started.value;
  state.users++;
  process.env.REDIS_URL = url;
  project.provide('redisUrl', url);
  if (cluster) {
    process.env[CLUSTER_NODES_ENV] = formatClusterNodes(cluster.nodes);
    project.provide('redisClusterNodes', cluster.nodes);
  }

  return async () => {
    state.users--;
    if (state.users === 0) await stopStarted();
  };
}

/** Stops what this file started (the private server, the Cluster) and forgets what it found. */
async function stopStarted(): Promise<void> {
  const { server, cluster } = state;
  state.url = undefined;
  state.server = undefined;
  state.cluster = undefined;
  if (server && process.env.REDIS_URL === server.url) delete process.env.REDIS_URL;
  delete process.env[CLUSTER_NODES_ENV];
  await Promise.allSettled([server?.stop(), cluster?.then((handle) => handle?.stop())]);
}
