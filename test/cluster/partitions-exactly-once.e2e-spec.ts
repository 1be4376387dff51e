/**
 * A deployment of 6 partitions (issue 15) on one Redis, several real app processes: the partition leases
 * spread over the instances (2/2/2 with three), follow a graceful stop (3/3 at once) and a join (2/2/2 again),
 * and every slot of every task runs exactly once throughout, on every instance.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../support/cluster.js';
import { describeLayout, runsWithPartitions } from '../support/layout.js';
import { cleanupPrefix, redisUrl, uniquePrefix } from '../support/redis.js';

const TASKS = 20;
const P = 6;
/** Leader heartbeat 500 ms: a lease lives 1.5 s, is handed over after 1.5 s held, the watch reads every 1 s. */
const FAST = {
  partitions: P,
  leaderHeartbeatInterval: 0.5,
  leaderRetryInterval: 0.5,
  runningHeartbeatInterval: 0.5,
  reconciliationInterval: 5,
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const evenly = (share: number) => (counts: number[]) => counts.every((n) => n === share);

describe.runIf(runsWithPartitions(P))(`partitions: 6, spread, stop and join (${describeLayout()})`, () => {
  const prefix = uniquePrefix('p6-once');
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  it('3 instances lead 2/2/2; a graceful stop leaves 3/3 at once, a join 2/2/2; every slot exactly once', async () => {
    cluster = new Cluster({ redisUrl: redisUrl(), prefix, tasks: TASKS, options: FAST });
    await Promise.all([cluster.start(), cluster.start(), cluster.start()]);
    await cluster.waitForPartitionLeaders(P, 30_000, evenly(2));
    const from = Date.now() + 1000;
    await sleep(6000);

    const [stopping] = [...cluster.ledPartitions()].find(([, led]) => led.length > 0)!;
    stopping.signal('SIGTERM');
    const stoppedAt = Date.now();
    // (The stopping process leads nothing from its first shutdown step on, and exits once its runs are done.)
    const leading = (counts: number[]) => counts.filter((n) => n > 0);
    await cluster.waitForPartitionLeaders(
      P,
      10_000,
      (counts) => leading(counts).length === 2 && evenly(3)(leading(counts)),
    );
    expect(Date.now() - stoppedAt).toBeLessThan(2000);
    await stopping.exit();
    expect(stopping.output).not.toMatch(/ERROR/);

    await cluster.start();
    await cluster.waitForPartitionLeaders(P, 30_000, (counts) => counts.length === 3 && evenly(2)(counts));
    await sleep(3000);
    const to = Date.now() - 1500;

    const report = cluster.slotReport(from, to, TASKS);
    expect(report.duplicated).toEqual([]);
    expect(report.missing).toEqual([]);
    const perWorker = new Map<string, number>();
    for (const [, events] of cluster.completions(from, to))
      for (const e of events) perWorker.set(e.worker!, (perWorker.get(e.worker!) ?? 0) + 1);
    expect(perWorker.size).toBe(4);
    expect(cluster.ofType('unhandledRejection')).toEqual([]);
  }, 90_000);
});
