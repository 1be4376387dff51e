// A local Redis Cluster on loopback, on free ports, in a temp dir, for the tests (test/support/redis-topologies.ts
// re-exports this) and the benchmarks (bench/scenarios/partitions.mjs): one home for starting redis-server node
// processes, finding `redis-cli`, and creating a cluster of N masters (`redis-server --cluster-enabled yes`
// joined by `redis-cli --cluster create ... --cluster-replicas 0 --cluster-yes`). Types: redis-cluster.d.mts.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { dataNodeArgs, findOnPath, findRedisServer, freePort, pingRedis, SERVER_BINARY_ENV } from './redis-server.mjs';

const run = promisify(execFile);
export const HOST = '127.0.0.1';

/**
 * The command-line client matching the server binary: the `redis-cli` / `valkey-cli` beside `binary` (default:
 * a `$TM_REDIS_SERVER` build), else `redis-cli` on PATH, or undefined.
 */
export function findRedisCli(binary = process.env[SERVER_BINARY_ENV] ? findRedisServer() : undefined) {
  if (binary) {
    const beside = join(dirname(binary), basename(binary).replace(/-server$/, '-cli'));
    if (existsSync(beside)) return beside;
  }
  return findOnPath('redis-cli');
}

/**
 * Why a local Cluster (or Sentinel) cannot be started here (a missing binary), or undefined when it can.
 * @param {string} [binary] the server binary to use (default {@link findRedisServer})
 */
export function topologyToolsMissing(binary = findRedisServer()) {
  const missing = [binary ? undefined : 'redis-server', findRedisCli(binary) ? undefined : 'redis-cli'].filter(Boolean);
  if (missing.length === 0) return undefined;
  return (
    `${missing.join(' and ')} not found on PATH: the Redis Cluster and Sentinel tests need both ` +
    '(e.g. `apt-get install -y redis-server redis-tools`)'
  );
}

/** Major version of a server binary (0 when unknown; Valkey 8 counts as 8, i.e. newer than Redis 7). */
function redisServerMajor(binary) {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return Number(/v=(\d+)\./.exec(out)?.[1] ?? 0);
}

/** Processes started here, killed if this process exits without stopping them. */
const living = new Set();
process.once('exit', () => {
  for (const child of living) child.kill('SIGKILL');
});

/** One redis-server process (a data node or a sentinel). */
export class RedisProcess {
  /**
   * @param {number} port
   * @param {string[]} args the server's arguments
   * @param {string} label for messages
   * @param {string} [binary] default: {@link findRedisServer}
   */
  constructor(port, args, label, binary = findRedisServer()) {
    this.port = port;
    this.args = args;
    this.label = label;
    this.binary = binary;
    this.child = undefined;
    this.output = '';
  }

  get url() {
    return `redis://${HOST}:${this.port}`;
  }

  get running() {
    const child = this.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** The server's pid while it runs. */
  get pid() {
    return this.running ? this.child.pid : undefined;
  }

  /** What the process printed lately (for failure messages). */
  get log() {
    return this.output;
  }

  /** Starts the process and waits until it answers PING. */
  async start(timeoutMs = 10_000) {
    const child = spawn(this.binary, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    living.add(child);
    child.once('exit', () => living.delete(child));
    const collect = (chunk) => {
      this.output = (this.output + chunk.toString()).slice(-8_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const deadline = Date.now() + timeoutMs;
    while (!(await pingRedis(this.url, 500))) {
      if (!this.running) throw new Error(`${this.label} exited before answering on port ${this.port}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`${this.label} did not answer on port ${this.port}:\n${this.output}`);
      await sleep(50);
    }
    return this;
  }

  /** Sends `signal` (SIGKILL: a crash). */
  kill(signal = 'SIGKILL') {
    if (this.running) this.child.kill(signal);
  }

  /** Kills the process and waits for its exit. */
  async stop() {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** A short-lived client of this process (closed by `use`). */
  async use(fn) {
    const client = new Redis(this.port, HOST, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await fn(client);
    } finally {
      client.disconnect();
    }
  }
}

/** Ports for `count` processes: distinct, free when returned. */
export async function freePorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Runs `fn` a few times: a port found free may be taken before the server binds it. */
export async function withPortRetries(fn, cleanup) {
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await fn();
    } catch (error) {
      lastError = error;
      await cleanup();
    }
  }
  throw lastError;
}

/** Polls `predicate` (a throw counts as false) until it is true, or throws after `timeoutMs`. */
async function waitUntil(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline)
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (${lastError.message})` : ''}`,
      );
    await sleep(50);
  }
}

/**
 * Starts `masters` cluster-enabled servers (no replicas), creates the cluster over them with `redis-cli` and
 * waits until every node sees all of them with state ok.
 * @param {{ masters?: number, binary?: string }} [options] binary: default {@link findRedisServer}
 */
export async function startRedisCluster({ masters = 3, binary = findRedisServer() } = {}) {
  if (!binary) throw new Error(topologyToolsMissing() ?? 'redis-server not found');
  const cli = findRedisCli(binary);
  if (!cli) throw new Error(topologyToolsMissing() ?? 'redis-cli not found');
  const dir = mkdtempSync(join(tmpdir(), 'ntm-cluster-'));
  // The cluster bus listens on port + 10000 unless `cluster-port` (Redis >= 7) sets it: use free ports for both.
  const explicitBusPort = redisServerMajor(binary) >= 7;
  let processes = [];
  const stopAll = async () => {
    await Promise.all(processes.map((p) => p.stop()));
  };
  /** Every node must see the whole cluster, with every slot assigned. */
  const waitUntilOk = (timeoutMs) =>
    waitUntil(
      async () => {
        for (const p of processes) {
          const info = await p.use((c) => c.cluster('INFO'));
          const known = /cluster_known_nodes:(\d+)/.exec(info);
          if (!/cluster_state:ok/.test(info) || !known || Number(known[1]) !== masters) return false;
        }
        return true;
      },
      timeoutMs,
      'cluster_state:ok on every node',
    );
  const start = async () => {
    const ports = await freePorts(explicitBusPort ? masters * 2 : masters);
    if (!explicitBusPort && ports.some((p) => p + 10_000 > 65_535)) throw new Error('bus port out of range');
    processes = Array.from({ length: masters }, (_, i) => {
      const port = ports[i];
      const args = [
        ...dataNodeArgs(port, dir, HOST),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        '2000',
        ...(explicitBusPort ? ['--cluster-port', String(ports[masters + i])] : []),
      ];
      return new RedisProcess(port, args, `cluster node ${port}`, binary);
    });
    await Promise.all(processes.map((p) => p.start()));
  };
  try {
    await withPortRetries(start, stopAll);
    const addresses = processes.map((p) => `${HOST}:${p.port}`);
    await run(cli, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 20_000,
    });
    await waitUntilOk(15_000);
  } catch (error) {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    nodes: processes.map((p) => ({ host: HOST, port: p.port })),
    processes,
    waitUntilOk,
    /**
     * Crashes master `index` (SIGKILL), waits `downMs`, starts it again on its port with its files: it comes
     * back empty (no persistence) with its node id and its slots (its nodes.conf), and rejoins. Resolves once
     * every node sees the cluster ok again; returns when it answered PING again and when the cluster was ok.
     */
    async restart(index, { downMs = 0, timeoutMs = 30_000 } = {}) {
      const node = processes[index];
      if (!node) throw new RangeError(`No master ${index} in a cluster of ${masters}`);
      await node.stop();
      await sleep(downMs);
      await node.start();
      const answeredAt = Date.now();
      await waitUntilOk(timeoutMs);
      return { answeredAt, okAt: Date.now() };
    },
    async stop() {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The port of the master serving hash slot `slot`, from CLUSTER SLOTS of `client` (any client of the cluster).
 * @param {{ cluster(subcommand: 'SLOTS'): Promise<unknown> }} client
 * @param {number} slot
 * @returns {Promise<number>}
 */
export async function masterPortServing(client, slot) {
  const ranges = /** @type {Array<[number, number, [string, number]]>} */ (await client.cluster('SLOTS'));
  const range = ranges.find(([start, end]) => start <= slot && slot <= end);
  if (!range) throw new Error(`no node serves slot ${slot}`);
  return Number(range[2][1]);
}
