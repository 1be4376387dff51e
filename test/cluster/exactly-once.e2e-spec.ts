import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../support/cluster.js';
import { cleanupPrefix, redisUrl, uniquePrefix } from '../support/redis.js';

const TASKS = 20;

/** Asserts every task ran exactly once for every slot of the window; returns the completions. */
export function expectExactlyOnce(cluster: Cluster, from: number, to: number, tasks: number) {
  const completions = cluster.completions(from, to);
  const missing: string[] = [];
  const duplicated: string[] = [];
  for (let slot = Math.ceil(from / 1000) * 1000; slot <= to; slot += 1000) {
    for (let i = 1; i <= tasks; i++) {
      const key = `${tasks === 1 ? 't' : `t#${i}`}|${slot}`;
      const n = completions.get(key)?.length ?? 0;
      if (n === 0) missing.push(key);
      if (n > 1) duplicated.push(key);
    }
  }
  expect(duplicated).toEqual([]);
  expect(missing).toEqual([]);
  return completions;
}

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
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    const to = Date.now() - 1000;
    const completions = expectExactlyOnce(cluster, from, to, TASKS);
    const perWorker = new Map<string, number>();
    for (const [, events] of completions) for (const e of events) perWorker.set(e.worker!, (perWorker.get(e.worker!) ?? 0) + 1);
    expect(perWorker.size).toBe(3);
    for (const count of perWorker.values()) expect(count).toBeGreaterThan(20);
    expect(cluster.events.filter((e) => e.type === 'unhandledRejection')).toEqual([]);
  }, 60_000);
});
