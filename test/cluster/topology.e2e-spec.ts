/**
 * The test layout's topology (test/support/layout.ts) is the one the multi-process tests run on: worker processes
 * of `Cluster` keep their keys where `topologyRedis()` says (on the cluster topology: on the run's 3-master Redis
 * Cluster, with 6 partitions on every master, and nothing on the standalone server), and `cleanupPrefix` removes
 * every key of the prefix, in every partition. Without it, a layout whose workers fell back to the standalone
 * server would pass while proving nothing.
 */
import { Redis } from 'ioredis';
import { TaskManagerKeys } from 'nestjs-task-manager/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { keySlot } from '../../libs/task-manager/src/redis/redis-client.js';
import { Cluster } from '../support/cluster.js';
import { describeLayout, testLayout } from '../support/layout.js';
import { masterPortServing } from '../support/redis-topologies.js';
import { cleanupPrefix, keyPatternsOf, redisUrl, topologyClient, uniquePrefix, waitFor } from '../support/redis.js';

const P = 6;

/** The keys of `prefix` on the standalone server (SCAN of every layout's patterns). */
async function standaloneKeys(prefix: string): Promise<string[]> {
  const client = new Redis(redisUrl());
  try {
    const found: string[] = [];
    for (const pattern of keyPatternsOf(prefix)) found.push(...(await client.keys(pattern)));
    return found;
  } finally {
    client.disconnect();
  }
}

describe(`the test layout's topology (${describeLayout()})`, () => {
  const prefix = uniquePrefix('topology');
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  it('workers keep their keys on the topology, every partition; cleanupPrefix removes them all', async () => {
    const keys = new TaskManagerKeys(prefix, P);
    const epochs = Array.from({ length: P }, (_, i) => keys.partition(i).epoch);
    cluster = new Cluster({ redisUrl: redisUrl(), prefix, tasks: 6, options: { partitions: P } });
    await cluster.start();
    await cluster.waitForPartitionLeaders(P, 30_000);
    const client = topologyClient();
    try {
      // Each partition's lease epoch, read through the topology's client (routed by slot on a Cluster).
      await waitFor(async () => (await Promise.all(epochs.map((key) => client.exists(key)))).every((n) => n === 1), {
        message: 'an epoch key in every partition',
      });
      if (testLayout().topology === 'cluster') {
        expect(await standaloneKeys(prefix)).toEqual([]);
        const masters = await Promise.all(epochs.map((key) => masterPortServing(client, keySlot(key))));
        expect(new Set(masters).size).toBe(3);
      }

      await cluster.stop();
      expect(await cleanupPrefix(prefix)).toBeGreaterThan(P);
      expect(await Promise.all(epochs.map((key) => client.exists(key)))).toEqual(epochs.map(() => 0));
      expect(await client.exists(keys.workers)).toBe(0);
    } finally {
      client.disconnect();
    }
  }, 60_000);
});
