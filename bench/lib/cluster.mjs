// A private local Redis Cluster for the benchmarks (tools/redis-cluster.mjs, shared with the tests), with a
// harness context on it: one plain client per master (INFO deltas per master, FLUSHALL between runs) and the
// reads the partitions scenario makes outside its windows (which master serves a key, a key's value, clients).
import { randomBytes } from 'node:crypto';
import { startRedisCluster, topologyToolsMissing } from '../../tools/redis-cluster.mjs';
import { findOnPath } from '../../tools/redis-server.mjs';
import { harnessClient } from './redis.mjs';

/** The server binary of the benchmarks (the one on PATH, as for the private server). */
const serverBinary = () => findOnPath('redis-server');

/** Why no local Cluster can be started here (redis-server or redis-cli missing), or undefined. */
export function clusterToolsMissing() {
  return topologyToolsMissing(serverBinary());
}

/**
 * Starts `masters` masters and returns a harness context for them: `ctx`'s fields, with `fresh` / `cleanup`
 * over every master, `nodes` (ioredis startup nodes), `masters` (one harness client per master, in the order of
 * `nodes`) and `stop()`.
 */
export async function startBenchCluster(ctx, masters) {
  const cluster = await startRedisCluster({ masters, binary: serverBinary() });
  const clients = cluster.processes.map((p) => harnessClient(p.url));
  const cctx = {
    ...ctx,
    redisUrl: undefined,
    redis: undefined,
    nodes: cluster.nodes,
    masters: clients,
    /** Cleans up, then returns a fresh key prefix. */
    async fresh(label) {
      await cctx.cleanup();
      return `bench-${label}-${randomBytes(3).toString('hex')}`;
    },
    async cleanup() {
      await Promise.all(clients.map((c) => c.flushall()));
    },
    /** The index (in `masters`) of the master serving each key. */
    async mastersOf(keys) {
      const ranges = await clients[0].cluster('SLOTS');
      const ports = cluster.nodes.map((n) => n.port);
      return Promise.all(
        keys.map(async (key) => {
          const slot = await clients[0].cluster('KEYSLOT', key);
          const range = ranges.find(([start, end]) => start <= slot && slot <= end);
          return range ? ports.indexOf(Number(range[2][1])) : -1;
        }),
      );
    },
    /** Each key's value, read on the master serving it. */
    async getAll(keys) {
      const owners = await cctx.mastersOf(keys);
      return Promise.all(keys.map((key, i) => (owners[i] >= 0 ? clients[owners[i]].get(key) : null)));
    },
    /** The clients connected to each master, by connection name, the harness's own left out. */
    async clientsByName() {
      return Promise.all(
        clients.map(async (c) => {
          const byName = {};
          for (const line of (await c.client('LIST')).split('\n')) {
            const name = /(?:^| )name=(\S*)/.exec(line)?.[1];
            if (name === undefined || name === 'bench-harness') continue;
            byName[name || '(unnamed)'] = (byName[name || '(unnamed)'] ?? 0) + 1;
          }
          return byName;
        }),
      );
    },
    async stop() {
      for (const c of clients) c.disconnect();
      await cluster.stop();
    },
  };
  return cctx;
}
