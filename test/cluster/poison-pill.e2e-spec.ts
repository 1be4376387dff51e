/**
 * A poison pill: a run whose handler kills its own process. Recovery re-runs a dead worker's runs elsewhere,
 * so without a bound it would kill every instance in turn. Deliveries are counted across recoveries; past
 * `maxDeliveries` the run is recorded as failed and the cluster moves on. Issue 10 item 5.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskManagerKeys, encodeTaskId } from 'nestjs-task-manager/testing';
import { Cluster, minuteCronIn } from '../support/cluster.js';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from '../support/redis.js';

describe('a run that kills its worker', () => {
  const prefix = uniquePrefix('poison');
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  it('is delivered maxDeliveries times, then recorded as failed; the last instance survives', async () => {
    const { cron, slot } = minuteCronIn(8000);
    cluster = new Cluster({
      redisUrl: redisUrl(),
      prefix,
      env: { KILLER_TASK_CRON: cron },
      options: {
        runningHeartbeatInterval: 0.5,
        leaderHeartbeatInterval: 0.5,
        leaderRetryInterval: 0.5,
        maxDeliveries: 2,
      },
    });
    await Promise.all([cluster.start(), cluster.start(), cluster.start()]);
    await waitFor(() => cluster!.ofType('run').filter((e) => e.task === 'killer').length >= 2, { timeoutMs: 25_000 });
    const redis = new Redis(redisUrl());
    try {
      const history = new TaskManagerKeys(prefix).history(encodeTaskId('Cluster', 'killer'));
      const entries = await waitFor(
        async () => {
          const found = (await redis.xrange(history, '-', '+')) as Array<[string, string[]]>;
          return found.length > 0 ? found : undefined;
        },
        { timeoutMs: 15_000, message: 'the run recorded as failed' },
      );
      const fields = Object.fromEntries(
        entries[0][1].reduce<Array<[string, string]>>(
          (acc, v, i, all) => (i % 2 ? acc : [...acc, [v, all[i + 1]]]),
          [],
        ),
      );
      expect(fields).toMatchObject({ st: 'failed', s: String(slot) });
      expect(fields.e).toMatch(/delivered 2 times/);
      expect(entries).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
    // Nothing runs the slot again: one instance is left, alive.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(cluster.ofType('run').filter((e) => e.task === 'killer')).toHaveLength(2);
    expect(cluster.alive()).toHaveLength(1);
  }, 60_000);
});
