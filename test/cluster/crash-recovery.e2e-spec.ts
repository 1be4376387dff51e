import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, minuteCronIn } from '../support/cluster.js';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from '../support/redis.js';

/** Running heartbeat 1 s (lease 3 s); reconciliation every 2 s, so a 20 s run outlives many of both. */
const SETTINGS = {
  runningHeartbeatInterval: 1,
  leaderHeartbeatInterval: 1,
  leaderRetryInterval: 1,
  reconciliationInterval: 2,
};
const RECOVERY_BOUND_MS = 3 * SETTINGS.runningHeartbeatInterval * 1000 + 2000;

describe('long runs and crashed workers', () => {
  const prefix = uniquePrefix('recovery');
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  it('runs a 12 s task on a 60 s schedule once, although it outlives every heartbeat and reconciliation', async () => {
    const { cron, slot } = minuteCronIn(10_000); // leaves time for 3 processes to boot on a loaded machine
    cluster = new Cluster({
      redisUrl: redisUrl(),
      prefix,
      longTaskCron: cron,
      longTaskMs: 12_000,
      // A 2 s heartbeat (lease 6 s): the run still outlives six of them and two leases, and a CI machine loaded to the point
      // of stalling a heartbeat for 2 s (seen with the server matrix building alongside) does not give it up.
      options: { ...SETTINGS, runningHeartbeatInterval: 2 },
    });
    await Promise.all([cluster.start(), cluster.start(), cluster.start()]);
    await waitFor(() => cluster!.ofType('end').some((e) => e.task === 'long'), {
      timeoutMs: 45_000,
    });
    const runs = cluster.ofType('run').filter((e) => e.task === 'long');
    const ends = cluster.ofType('end').filter((e) => e.task === 'long');
    expect(runs).toHaveLength(1);
    expect(runs[0].slot).toBe(slot);
    expect(ends).toHaveLength(1);
    expect(ends[0].aborted).toBe(false);
    expect(ends[0].t - runs[0].t).toBeGreaterThanOrEqual(11_900);
  }, 75_000);

  it('re-runs the run of a SIGKILLed worker once elsewhere, within 3 x runningHeartbeatInterval + 2 s', async () => {
    const { cron, slot } = minuteCronIn(10_000); // leaves time for 3 processes to boot on a loaded machine
    cluster = new Cluster({
      redisUrl: redisUrl(),
      prefix,
      longTaskCron: cron,
      longTaskMs: 20_000,
      options: SETTINGS,
    });
    await Promise.all([cluster.start(), cluster.start(), cluster.start()]);
    const first = await waitFor(() => cluster!.ofType('run').find((e) => e.task === 'long'), { timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const owner = cluster.workers.find((w) => w.pid === first.pid)!;
    owner.signal('SIGKILL');
    const killedAt = Date.now();
    const rerun = await waitFor(() => cluster!.ofType('run').find((e) => e.task === 'long' && e.pid !== first.pid), {
      timeoutMs: RECOVERY_BOUND_MS + 3000,
    });
    expect(rerun.slot).toBe(slot);
    expect(rerun.t - killedAt).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
    // Exactly once more: nobody takes the live re-run away.
    await new Promise((resolve) => setTimeout(resolve, 2 * RECOVERY_BOUND_MS));
    expect(cluster.ofType('run').filter((e) => e.task === 'long')).toHaveLength(2);
  }, 75_000);
});
