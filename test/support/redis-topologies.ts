/**
 * Local Redis topologies for the Cluster and Sentinel tests, all on loopback, on free ports, in temp dirs:
 *
 * - `startRedisCluster()`: N masters (`redis-server --cluster-enabled yes`) joined by
 *   `redis-cli --cluster create ... --cluster-replicas 0 --cluster-yes`; it lives in tools/redis-cluster.mjs
 *   (with `RedisProcess`, `findRedisCli` and `topologyToolsMissing`), shared with the benchmarks.
 * - `startRedisSentinel()`: 1 master, 1 replica (`--replicaof`) and 3 sentinels (`redis-server <conf> --sentinel`)
 *   monitoring it with quorum 2 and short timeouts.
 *
 * Every process is killed on `stop()` (and when the test process exits). `topologyToolsMissing()` tells the
 * tests to skip where `redis-server` or `redis-cli` is not installed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, HOST, RedisProcess, withPortRetries } from '../../tools/redis-cluster.mjs';
import { dataNodeArgs as baseDataNodeArgs, waitFor } from './redis.js';

export {
  findRedisCli,
  masterPortServing,
  RedisProcess,
  startRedisCluster,
  topologyToolsMissing,
  type RedisClusterHandle,
} from '../../tools/redis-cluster.mjs';

/** Arguments of every data node: loopback, no persistence, files in `dir`, logs on stdout. */
const dataNodeArgs = (port: number, dir: string): string[] => baseDataNodeArgs(port, dir, HOST);

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
