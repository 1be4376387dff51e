// The soak's Redis and its deployment's key layout, by topology: a private redis-server (`standalone`,
// tools/redis-server.mjs) or a private local 3-master Redis Cluster (`cluster`, tools/redis-cluster.mjs); the
// keys of the deployment from the built library's TaskManagerKeys (`nestjs-task-manager/testing`: the one home
// of every key, and of the task → partition mapping); the probe client the soak reads Redis with; how each
// instance reaches Redis; and the Redis faults (a restart, FLUSHALL).
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { startTcpProxy } from '../tools/faults/tcp-proxy.mjs';
import { masterPortServing, startRedisCluster } from '../tools/redis-cluster.mjs';
import { findOnPath, startRedisServer } from '../tools/redis-server.mjs';

/** The layouts the soak runs in. */
export const TOPOLOGIES = ['standalone', 'cluster'];

/** Masters of the soak's Redis Cluster. */
const CLUSTER_MASTERS = 3;

/** The task group of the soak's mix (test/fixtures/cluster-worker.mjs). */
const GROUP = 'Mix';

/**
 * Starts the soak's Redis in `topology` and returns the deployment of key prefix `prefix` with `partitions`
 * partitions on it. The library must be built (its `testing` entry gives the key layout).
 */
export async function startDeployment({ topology, prefix, partitions }) {
  if (!TOPOLOGIES.includes(topology)) throw new Error(`unknown topology "${topology}" (${TOPOLOGIES.join(' or ')})`);
  const { TaskManagerKeys, encodeTaskId } = await import('nestjs-task-manager/testing');
  const keys = new TaskManagerKeys(prefix, partitions);
  const deployment =
    topology === 'cluster'
      ? new ClusterDeployment(keys, encodeTaskId, await startRedisCluster({ masters: CLUSTER_MASTERS }))
      : new StandaloneDeployment(keys, encodeTaskId, await startSoakRedisServer());
  await deployment.reconnectProbe();
  return deployment;
}

/** A private, non-persistent redis-server (the one on PATH) on a free port: tools/redis-server.mjs. */
function startSoakRedisServer() {
  const binary = findOnPath('redis-server');
  if (!binary) throw new Error('redis-server not found on PATH (apt-get install -y redis-server)');
  return startRedisServer({ binary });
}

/** What both topologies share: the key layout, and reads over every partition. */
class Deployment {
  constructor(keys, encodeTaskId) {
    /** TaskManagerKeys of the deployment: deployment-wide keys, and `partition(i)`. */
    this.keys = keys;
    this.encodeTaskId = encodeTaskId;
    /** The probe client (a Redis, or a Cluster), replaced by `reconnectProbe`. */
    this.probe = undefined;
  }

  get partitions() {
    return this.keys.partitions;
  }

  /** Every partition's keys (one entry, the deployment's own, with one partition). */
  get partitionKeys() {
    return Array.from({ length: this.keys.partitions }, (_, i) => this.keys.partition(i));
  }

  /** The task id of task `name` of the mix. */
  taskId(name) {
    return this.encodeTaskId(GROUP, name);
  }

  /** The partition task `name` of the mix belongs to (the library's mapping). */
  partitionOfTask(name) {
    return this.keys.partitionOf(this.taskId(name));
  }

  /** The keys of the partition of task `name` of the mix. */
  keysOfTask(name) {
    return this.keys.partition(this.partitionOfTask(name));
  }

  /** The sum over every partition of `read(partitionKeys)` (a number each). */
  async sumOverPartitions(read) {
    const values = await Promise.all(this.partitionKeys.map((p) => read(p)));
    return values.reduce((sum, value) => sum + Number(value ?? 0), 0);
  }

  /**
   * Runs `build(pipeline, partitionKeys, items)` per partition on the items of that partition (`partitionOf`
   * of each item), one pipeline each (a pipeline of a Cluster client must stay in one slot), and returns each
   * item's results in the order of `items`.
   */
  async pipelinePerPartition(items, partitionOf, build) {
    const groups = new Map();
    items.forEach((item, index) => {
      const p = partitionOf(item);
      if (!groups.has(p)) groups.set(p, []);
      groups.get(p).push({ item, index });
    });
    const results = Array.from({ length: items.length });
    await Promise.all(
      [...groups].map(async ([p, members]) => {
        const pipeline = this.probe.pipeline();
        const counts = members.map(({ item }) => build(pipeline, this.keys.partition(p), item));
        const replies = (await pipeline.exec()) ?? [];
        let offset = 0;
        members.forEach(({ index }, k) => {
          results[index] = replies.slice(offset, offset + counts[k]);
          offset += counts[k];
        });
      }),
    );
    return results;
  }

  /** Redis's used_memory, summed over the masters. */
  async usedMemory() {
    const infos = await Promise.all(this.masters().map((node) => node.info('memory')));
    return infos.reduce((sum, info) => sum + Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0), 0);
  }

  /** Keys in Redis, summed over the masters. */
  async dbsize() {
    const sizes = await Promise.all(this.masters().map((node) => node.dbsize()));
    return sizes.reduce((sum, n) => sum + Number(n), 0);
  }

  /** FLUSHALL on every master. */
  async flushAll() {
    await Promise.all(this.masters().map((node) => node.flushall()));
  }

  /** Runs `command` (e.g. `['CLIENT', 'KILL', 'TYPE', 'pubsub']`) on every master. */
  async onEveryMaster(command) {
    await Promise.all(this.masters().map((node) => node.call(...command)));
  }

  /** Subscribers of pub/sub channel `channel`, summed over the masters (each counts its own clients). */
  async subscribers(channel) {
    const counts = await Promise.all(this.masters().map((node) => node.pubsub('NUMSUB', channel)));
    return counts.reduce((sum, [, n]) => sum + Number(n), 0);
  }
}

class StandaloneDeployment extends Deployment {
  constructor(keys, encodeTaskId, server) {
    super(keys, encodeTaskId);
    this.topology = 'standalone';
    this.server = server;
  }

  get url() {
    return this.server.url;
  }

  masters() {
    return [this.probe];
  }

  async reconnectProbe() {
    this.probe?.disconnect();
    this.probe = new Redis(this.server.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
    this.probe.on('error', () => undefined);
    await this.probe.connect().catch(() => undefined);
  }

  /** An instance's link to Redis: its own TCP proxy (the link faults). */
  startLink() {
    return startTcpProxy(this.server.url);
  }

  /** How an instance behind `link` reaches Redis: the fixture's REDIS_URL, no module option. */
  connection(link) {
    return { url: link ? link.urlFor(this.server.url) : this.server.url, options: {} };
  }

  /**
   * Kills redis-server (SIGKILL), keeps it down `downMs`, starts it again (empty: no persistence): every
   * partition is wiped. `upAt`: when it answered again.
   */
  async restart(downMs) {
    await this.server.halt('SIGKILL');
    await sleep(downMs);
    await this.server.launch();
    return { upAt: Date.now(), wipedPartitions: this.partitionKeys.map((_, i) => i) };
  }

  async stop() {
    this.probe?.disconnect();
    await this.server.stop();
  }
}

class ClusterDeployment extends Deployment {
  constructor(keys, encodeTaskId, cluster) {
    super(keys, encodeTaskId);
    this.topology = 'cluster';
    this.cluster = cluster;
  }

  /** A client of each master (its own connection: FLUSHALL and the per-node reads never wait on slots). */
  masters() {
    return this.masterClients;
  }

  async reconnectProbe() {
    this.probe?.disconnect();
    for (const client of this.masterClients ?? []) client.disconnect();
    this.masterClients = this.cluster.nodes.map(({ host, port }) => {
      const client = new Redis(port, host, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
      client.on('error', () => undefined);
      return client;
    });
    await Promise.all(this.masterClients.map((client) => client.connect().catch(() => undefined)));
    this.probe = new Cluster(this.cluster.nodes, {
      enableOfflineQueue: false,
      lazyConnect: true,
      redisOptions: { maxRetriesPerRequest: 1 },
    });
    this.probe.on('error', () => undefined);
    await this.probe.connect().catch(() => undefined);
  }

  /**
   * An instance's link to the cluster: none, it reaches the masters directly (so the faults on one instance's
   * link, which need its own TCP proxy, are not available on a Redis Cluster). Tried with one proxy per master
   * and ioredis `natMap`: ioredis keeps a MOVED redirection's unmapped address ("Too many Cluster
   * redirections"), and in 2 one-minute soaks of 5 an instance read replies that were not its commands' after a
   * master restart (none in 5 without the proxies): the soak would have reported the harness.
   */
  startLink() {
    return Promise.resolve(undefined);
  }

  /** How an instance reaches the cluster: `redis: { cluster: { nodes } }` (REDIS_URL is not read). */
  connection() {
    return {
      url: undefined,
      options: { redis: { cluster: { nodes: this.cluster.nodes.map(({ host, port }) => ({ host, port })) } } },
    };
  }

  /** The partitions whose keys (their hash tag's slot) live on the master of port `port`. */
  async partitionsOn(port) {
    const onIt = [];
    for (const [i, p] of this.partitionKeys.entries()) {
      const slot = Number(await this.probe.cluster('KEYSLOT', p.leader));
      if ((await masterPortServing(this.probe, slot)) === port) onIt.push(i);
    }
    return onIt;
  }

  /**
   * Kills one master (SIGKILL, drawn by `pick`), keeps it down `downMs`, starts it again on its port with its
   * files: it comes back empty with its slots (a partial wipe: the partitions whose tag it serves) and must
   * rejoin; resolves once every node sees the cluster ok again (`upAt`).
   */
  async restart(downMs, pick) {
    const index = pick(this.cluster.processes.map((_, i) => i));
    const port = this.cluster.processes[index].port;
    const wipedPartitions = await this.partitionsOn(port);
    const { answeredAt, okAt } = await this.cluster.restart(index, { downMs });
    return { upAt: okAt, answeredAt, master: port, wipedPartitions };
  }

  async stop() {
    this.probe?.disconnect();
    for (const client of this.masterClients ?? []) client.disconnect();
    await this.cluster.stop();
  }
}
