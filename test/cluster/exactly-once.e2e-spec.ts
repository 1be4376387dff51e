import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../support/cluster.js';
import { cleanupPrefix, redisUrl, uniquePrefix } from '../support/redis.js';

const TASKS = 20;

describe('several instances', () => {
  const prefix = uniquePrefix('cluster');
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  it('executes every slot of 20 per-second tasks exactly once across 3 instances, spread over all of them', async () => {
    cluster = new Cluster({ redisUrl: redisUrl(), prefix, tasks: TASKS });
    await Promise.all([cluster.start(), cluster.start(), cluster.start()]);
    await cluster.waitForLeader();
    const from = Date.now() + 1000;
    // (15 s: 300 executions over 3 instances; the soak and the simulator run far longer.)
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    const to = Date.now() - 1000;
    const report = cluster.slotReport(from, to, TASKS);
    expect(report.duplicated).toEqual([]);
    expect(report.missing).toEqual([]);
    const completions = cluster.completions(from, to);
    const perWorker = new Map<string, number>();
    for (const [, events] of completions)
      for (const e of events) perWorker.set(e.worker!, (perWorker.get(e.worker!) ?? 0) + 1);
    expect(perWorker.size).toBe(3);
    for (const count of perWorker.values()) expect(count).toBeGreaterThan(20);
    expect(cluster.events.filter((e) => e.type === 'unhandledRejection')).toEqual([]);
  }, 60_000);
});
