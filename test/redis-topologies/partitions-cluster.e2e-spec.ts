/**
 * A deployment of 6 partitions (issue 15) on the local 3-master Redis Cluster, with real app processes: the
 * partitions' keys sit on every master (two partitions each), the leases spread 2/2/2 over three instances,
 * and every slot of every task runs exactly once through the SIGKILL of an instance and a graceful stop.
 */
import { Cluster as RedisCluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { keySlot } from '../../libs/task-manager/src/redis/redis-client.js';
import { TaskManagerKeys } from '../../libs/task-manager/src/redis/task-manager-keys.js';
import { Cluster } from '../support/cluster.js';
import {
  masterPortServing,
  startRedisCluster,
  topologyToolsMissing,
  type RedisClusterHandle,
} from '../support/redis-topologies.js';
import { uniquePrefix } from '../support/redis.js';

const P = 6;
const TASKS = 12;
const missing = topologyToolsMissing();
if (missing) console.warn(`[redis-topologies] Redis Cluster partition tests skipped: ${missing}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(missing !== undefined)('partitions: 6 on a 3-master Redis Cluster, real app processes', () => {
  let redisCluster: RedisClusterHandle | undefined;
  let client: RedisCluster | undefined;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    redisCluster = await startRedisCluster({ masters: 3 });
    client = new RedisCluster(redisCluster.nodes, { lazyConnect: true });
    await client.connect();
  }, 45_000);

  afterEach(async () => {
    await cluster?.stop();
  });

  afterAll(async () => {
    client?.disconnect();
    await redisCluster?.stop();
  }, 30_000);

  /** Port of the master serving hash slot `slot`. */
  const portServing = (slot: number): Promise<number> => masterPortServing(client!, slot);

  it('keys on every master, leases 2/2/2, every slot exactly once through a SIGKILL and a graceful stop', async () => {
    const prefix = uniquePrefix('p6-rcluster');
    cluster = new Cluster({
      // (The fixture's REDIS_URL is overridden by the `redis` option.)
      redisUrl: 'redis://127.0.0.1:1',
      prefix,
      tasks: TASKS,
      options: {
        redis: { cluster: { nodes: redisCluster!.nodes } },
        partitions: P,
        leaderHeartbeatInterval: 0.5,
        leaderRetryInterval: 0.5,
        runningHeartbeatInterval: 0.5,
        reconciliationInterval: 5,
      },
    });
    await Promise.all([cluster.start(), cluster.start(), cluster.start()]);
    await cluster.waitForPartitionLeaders(P, 30_000, (counts) => counts.every((n) => n === 2));
    const from = Date.now() + 1000;
    await sleep(4000);

    const [victim] = [...cluster.ledPartitions()].find(([, led]) => led.length > 0)!;
    victim.signal('SIGKILL');
    await victim.exit();
    await cluster.waitForPartitionLeaders(P, 10_000);
    await cluster.start();
    await sleep(3000);
    const [stopping] = [...cluster.ledPartitions()].find(([, led]) => led.length > 0)!;
    stopping.signal('SIGTERM');
    await stopping.exit();
    await cluster.waitForPartitionLeaders(P, 10_000, (counts) => counts.every((n) => n === 3));
    await sleep(3000);
    const to = Date.now() - 1500;

    const report = cluster.slotReport(from, to, TASKS);
    expect(report.duplicated).toEqual([]);
    expect(report.missing).toEqual([]);
    expect(cluster.ofType('unhandledRejection')).toEqual([]);

    // Each master serves two partitions' tags, and holds their keys (two lease epochs each).
    const keys = new TaskManagerKeys(prefix, P);
    const masterOf = await Promise.all(
      Array.from({ length: P }, (_, i) => portServing(keySlot(keys.partition(i).tag))),
    );
    const perMaster = new Map<number, number>();
    for (const port of masterOf) perMaster.set(port, (perMaster.get(port) ?? 0) + 1);
    expect([...perMaster.values()].sort()).toEqual([2, 2, 2]);
    for (const node of client!.nodes('master')) {
      const found: string[] = [];
      for (const pattern of keys.allKeysPatterns.slice(1)) {
        const [, batch] = await node.scan('0', 'MATCH', pattern, 'COUNT', 10_000);
        found.push(...batch);
      }
      expect(
        found.filter((key) => key.endsWith(':epoch')),
        `master ${node.options.port}`,
      ).toHaveLength(2);
    }
  }, 90_000);
});
