/**
 * A Redis link that hangs without an error (a frozen NAT entry, a stalled load balancer): the instance's
 * commands get no reply, its process runs on. It must give its runs and its leadership up on local timers
 * before another instance can take them over. Issue 10 item 3.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, minuteCronIn } from '../support/cluster.js';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from '../support/redis.js';

const SETTINGS = { runningHeartbeatInterval: 1, leaderHeartbeatInterval: 1, leaderRetryInterval: 1 };

describe('a hung Redis link', () => {
  const prefix = uniquePrefix('hung');
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  it('aborts the run and steps down before another instance re-runs the slot or leads', async () => {
    cluster = new Cluster({ redisUrl: redisUrl(), prefix, longTaskMs: 15_000, options: SETTINGS });
    const { cron, slot } = minuteCronIn(3000);
    const a = await cluster.start({ proxy: true, longTaskCron: cron });
    await cluster.waitForLeader();
    const firstRun = await waitFor(() => cluster!.ofType('run').find((e) => e.task === 'long' && e.pid === a.pid), {
      timeoutMs: 10_000,
    });
    expect(firstRun.slot).toBe(slot);
    const b = await cluster.start({ longTaskCron: cron });
    a.proxy!.freeze();
    const frozenAt = Date.now();
    try {
      const rerun = await waitFor(() => cluster!.ofType('run').find((e) => e.task === 'long' && e.pid === b.pid), {
        timeoutMs: 12_000,
      });
      expect(rerun.slot).toBe(slot);
      const aEnd = cluster.ofType('end').find((e) => e.task === 'long' && e.pid === a.pid);
      // A gave its run up (aborted) before B started it again, and well before its 15 s were over.
      expect(aEnd?.aborted).toBe(true);
      expect(aEnd!.at).toBeLessThanOrEqual(rerun.at);
      expect(aEnd!.real - frozenAt).toBeLessThan(3000);
      // A stepped down before B took the lead.
      const aStepDown = cluster.ofType('leader').find((e) => e.pid === a.pid && e.isLeader === false);
      const bLeads = cluster.ofType('leader').find((e) => e.pid === b.pid && e.isLeader === true);
      expect(aStepDown).toBeDefined();
      expect(bLeads).toBeDefined();
      expect(aStepDown!.at).toBeLessThanOrEqual(bLeads!.at);
    } finally {
      a.proxy!.unfreeze();
    }
    // Once the link is back (A reconnects, its leader and lease keeper resume), nothing runs the slot a third time.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(cluster.ofType('run').filter((e) => e.task === 'long')).toHaveLength(2);
    expect(cluster.ofType('unhandledRejection')).toEqual([]);
  }, 60_000);
});
