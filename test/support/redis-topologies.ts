/**
 * Local Redis topologies for the Cluster and Sentinel tests, all on loopback, on free ports, in temp dirs:
 *
 * - `startRedisCluster()`: N masters (`redis-server --cluster-enabled yes`) joined by
 *   `redis-cli --cluster create ... --cluster-replicas 0 --cluster-yes`.
 * - `startRedisSentinel()`: 1 master, 1 replica (`--replicaof`) and 3 sentinels (`redis-server <conf> --sentinel`)
 *   monitoring it with quorum 2 and short timeouts.
 *
 * Every process is killed on `stop()` (and when the test process exits). `topologyToolsMissing()` tells the
 * tests to skip where `redis-server` or `redis-cli` is not installed.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import {
  dataNodeArgs as baseDataNodeArgs,
  findOnPath,
  findRedisServer,
  freePort,
  pingRedis,
  SERVER_BINARY_ENV,
  waitFor,
} from './redis.js';

const run = promisify(execFile);
const HOST = '127.0.0.1';
/** Arguments of every data node: loopback, no persistence, files in `dir`, logs on stdout. */
const dataNodeArgs = (port: number, dir: string): string[] => baseDataNodeArgs(port, dir, HOST);

/**
 * The command-line client matching the server binary: the `redis-cli` / `valkey-cli` beside a
 * `$TM_REDIS_SERVER` build, else `redis-cli` on PATH, or undefined.
 */
export function findRedisCli(): string | undefined {
  const server = process.env[SERVER_BINARY_ENV] ? findRedisServer() : undefined;
  if (server) {
    const beside = join(dirname(server), basename(server).replace(/-server$/, '-cli'));
    if (existsSync(beside)) return beside;
  }
  return findOnPath('redis-cli');
}

/** Why the topology tests cannot run here (a missing binary), or undefined when they can. */
export function topologyToolsMissing(): string | undefined {
  const missing = [findRedisServer() ? undefined : 'redis-server', findRedisCli() ? undefined : 'redis-cli'].filter(
    Boolean,
  );
  if (missing.length === 0) return undefined;
  return (
    `${missing.join(' and ')} not found on PATH: the Redis Cluster and Sentinel tests need both ` +
    '(e.g. `apt-get install -y redis-server redis-tools`)'
  );
}

/** Major version of the server binary (0 when unknown; Valkey 8 counts as 8, i.e. newer than Redis 7). */
function redisServerMajor(): number {
  const out = spawnSync(findRedisServer()!, ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return Number(/v=(\d+)\./.exec(out)?.[1] ?? 0);
}

/** Processes started here, killed if the test process exits without stopping them. */
const living = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of living) child.kill('SIGKILL');
});

/** One redis-server process (a data node or a sentinel). */
export class RedisProcess {
  private child?: ChildProcess;
  private output = '';

  constructor(
    readonly port: number,
    private readonly args: string[],
    readonly label: string,
  ) {}

  get url(): string {
    return `redis://${HOST}:${this.port}`;
  }

  get running(): boolean {
    const child = this.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** What the process printed lately (for failure messages). */
  get log(): string {
    return this.output;
  }

  /** Starts the process and waits until it answers PING. */
  async start(timeoutMs = 10_000): Promise<this> {
    const child = spawn(findRedisServer()!, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    living.add(child);
    child.once('exit', () => living.delete(child));
    const collect = (chunk: Buffer) => {
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
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) this.child!.kill(signal);
  }

  /** Kills the process and waits for its exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** A short-lived client of this process (closed by `use`). */
  async use<T>(fn: (client: Redis) => Promise<T>): Promise<T> {
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
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Runs `fn` a few times: a port found free may be taken before the server binds it. */
async function withPortRetries<T>(fn: () => Promise<T>, cleanup: () => Promise<void>): Promise<T> {
  let lastError: unknown;
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

/** A running local Redis Cluster. */
export interface RedisClusterHandle {
  /** The masters' addresses (startup nodes for ioredis). */
  readonly nodes: Array<{ host: string; port: number }>;
  readonly processes: RedisProcess[];
  /** Kills every node and deletes its files. */
  stop(): Promise<void>;
}

/** Starts `masters` cluster-enabled servers, creates the cluster over them and waits until its state is ok. */
export async function startRedisCluster({ masters = 3 } = {}): Promise<RedisClusterHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'ntm-cluster-'));
  const cli = findRedisCli()!;
  // The cluster bus listens on port + 10000 unless `cluster-port` (Redis >= 7) sets it: use free ports for both.
  const explicitBusPort = redisServerMajor() >= 7;
  let processes: RedisProcess[] = [];
  const stopAll = async () => {
    await Promise.all(processes.map((p) => p.stop()));
  };
  const start = async () => {
    const ports = await freePorts(explicitBusPort ? masters * 2 : masters);
    if (!explicitBusPort && ports.some((p) => p + 10_000 > 65_535)) throw new Error('bus port out of range');
    processes = Array.from({ length: masters }, (_, i) => {
      const port = ports[i];
      const args = [
        ...dataNodeArgs(port, dir),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        '2000',
        ...(explicitBusPort ? ['--cluster-port', String(ports[masters + i])] : []),
      ];
      return new RedisProcess(port, args, `cluster node ${port}`);
    });
    await Promise.all(processes.map((p) => p.start()));
  };
  try {
    await withPortRetries(start, stopAll);
    const addresses = processes.map((p) => `${HOST}:${p.port}`);
    await run(cli, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 20_000,
    });
    // Every node must see the whole cluster, with every slot assigned.
    await waitFor(
      async () => {
        for (const p of processes) {
          const info = await p.use((c) => c.cluster('INFO'));
          if (!/cluster_state:ok/.test(info) || !/cluster_known_nodes:(\d+)/.test(info)) return false;
          if (Number(/cluster_known_nodes:(\d+)/.exec(info)![1]) !== masters) return false;
        }
        return true;
      },
      { timeoutMs: 15_000, message: 'cluster_state:ok on every node' },
    );
  } catch (error) {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    nodes: processes.map((p) => ({ host: HOST, port: p.port })),
    processes,
    async stop() {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Name of the master group the sentinels monitor. */
export const SENTINEL_MASTER_NAME = 'mymaster';

/** A running Sentinel setup: two data servers (one master, one replica at first) and three sentinels. */
export interface RedisSentinelHandle {
  readonly name: string;
  /** The sentinels' addresses (for ioredis `sentinels`). */
  readonly sentinels: Array<{ host: string; port: number }>;
  /** The two data servers; which one is the master changes with failovers. */
  readonly servers: RedisProcess[];
  readonly sentinelProcesses: RedisProcess[];
  /** The data server the sentinels currently report as master. */
  master(): Promise<RedisProcess>;
  /** Waits until every sentinel reports `server` as the master. */
  waitForMaster(server: RedisProcess, timeoutMs?: number): Promise<void>;
  /** Waits until every sentinel knows the other two and a healthy replica (`replica`) of the current master. */
  waitForSteadyState(replica: RedisProcess, timeoutMs?: number): Promise<void>;
  /** Kills everything and deletes the files. */
  stop(): Promise<void>;
}

/** What one sentinel answers to `SENTINEL <sub> mymaster`, as field maps. */
async function sentinelQuery(sentinel: RedisProcess, sub: string): Promise<Array<Record<string, string>>> {
  const reply = (await sentinel.use((c) => c.call('SENTINEL', sub, SENTINEL_MASTER_NAME))) as unknown[];
  const toMap = (flat: unknown[]) => {
    const map: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) map[String(flat[i])] = String(flat[i + 1]);
    return map;
  };
  return sub === 'MASTER' ? [toMap(reply)] : (reply as unknown[][]).map(toMap);
}

/**
 * Starts 1 master, 1 replica of it and 3 sentinels (quorum 2, down-after 1 s, failover-timeout 5 s), and
 * waits until the sentinels know the replica and each other (so a failover can be agreed on).
 */
export async function startRedisSentinel(): Promise<RedisSentinelHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'ntm-sentinel-'));
  let servers: RedisProcess[] = [];
  let sentinels: RedisProcess[] = [];
  const stopAll = async () => {
    await Promise.all([...sentinels, ...servers].map((p) => p.stop()));
  };
  const start = async () => {
    const [masterPort, replicaPort, ...sentinelPorts] = await freePorts(5);
    const master = new RedisProcess(masterPort, dataNodeArgs(masterPort, join(dir, 'a')), `redis ${masterPort}`);
    const replica = new RedisProcess(
      replicaPort,
      [...dataNodeArgs(replicaPort, join(dir, 'b')), '--replicaof', HOST, String(masterPort)],
      `redis ${replicaPort}`,
    );
    servers = [master, replica];
    for (const sub of ['a', 'b']) {
      rmSync(join(dir, sub), { recursive: true, force: true });
      mkdirSync(join(dir, sub), { recursive: true });
    }
    await master.start();
    await replica.start();
    await waitFor(async () => /master_link_status:up/.test(await replica.use((c) => c.info('replication'))), {
      timeoutMs: 10_000,
      message: 'replica in sync',
    });
    sentinels = sentinelPorts.map((port) => {
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          `bind ${HOST}`,
          'protected-mode no',
          'daemonize no',
          `dir ${dir}`,
          'logfile ""',
          `sentinel monitor ${SENTINEL_MASTER_NAME} ${HOST} ${masterPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
          '',
        ].join('\n'),
      );
      return new RedisProcess(port, [conf, '--sentinel'], `sentinel ${port}`);
    });
    await Promise.all(sentinels.map((s) => s.start()));
  };
  try {
    await withPortRetries(start, stopAll);
  } catch (error) {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const byPort = (port: number) => servers.find((s) => s.port === port);
  const handle: RedisSentinelHandle = {
    name: SENTINEL_MASTER_NAME,
    sentinels: sentinels.map((s) => ({ host: HOST, port: s.port })),
    servers,
    sentinelProcesses: sentinels,
    async master() {
      for (const sentinel of sentinels.filter((s) => s.running)) {
        try {
          const [, port] = (await sentinel.use((c) =>
            c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME),
          )) as [string, string];
          const server = byPort(Number(port));
          if (server) return server;
        } catch {
          // try the next sentinel
        }
      }
      throw new Error('no sentinel answered');
    },
    async waitForMaster(server, timeoutMs = 20_000) {
      await waitFor(
        async () => {
          for (const sentinel of sentinels) {
            const [master] = await sentinelQuery(sentinel, 'MASTER');
            if (Number(master.port) !== server.port || /o_down|s_down|failover/.test(master.flags)) return false;
          }
          // The promoted server must itself say so.
          return /role:master/.test(await server.use((c) => c.info('replication')));
        },
        { timeoutMs, message: `every sentinel reporting ${server.label} as master` },
      );
    },
    async waitForSteadyState(replica, timeoutMs = 20_000) {
      await waitFor(
        async () => {
          for (const sentinel of sentinels) {
            const [master] = await sentinelQuery(sentinel, 'MASTER');
            if (Number(master['num-other-sentinels']) !== sentinels.length - 1) return false;
            const replicas = await sentinelQuery(sentinel, 'REPLICAS');
            const known = replicas.find((r) => Number(r.port) === replica.port);
            if (!known || /s_down|disconnected/.test(known.flags)) return false;
          }
          // The replica's own view (the sentinels refresh theirs only every 10 s until a master is down).
          return /master_link_status:up/.test(await replica.use((c) => c.info('replication')));
        },
        { timeoutMs, message: `sentinels knowing each other and ${replica.label} as a healthy replica` },
      );
    },
    async stop() {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
