/**
 * Graceful shutdown in the middle of a long run (every rolling deploy): the run aborted by the shutdown
 * timeout is handed back at once and re-run by another instance, and an allowParallel=false task is not
 * blocked by it. Issue 10 item 1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, minuteCronIn } from '../support/cluster.js';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from '../support/redis.js';

const SETTINGS = {
  runningHeartbeatInterval: 1,
  leaderHeartbeatInterval: 1,
  leaderRetryInterval: 1,
  shutdownTimeoutMs: 1000,
  allowParallel: false,
};

describe('graceful shutdown during a long run', () => {
  const prefix = uniquePrefix('handback');
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  it('hands the aborted run back: another instance re-runs its slot at once', async () => {
    const { cron, slot } = minuteCronIn(6000);
    cluster = new Cluster({ redisUrl: redisUrl(), prefix, longTaskCron: cron, longTaskMs: 20_000, options: SETTINGS });
    await Promise.all([cluster.start(), cluster.start()]);
    const first = await waitFor(() => cluster!.ofType('run').find((e) => e.task === 'long'), { timeoutMs: 15_000 });
    expect(first.slot).toBe(slot);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const owner = cluster.workers.find((w) => w.pid === first.pid)!;
    const other = cluster.workers.find((w) => w !== owner)!;
    owner.signal('SIGTERM');
    const stoppedAt = Date.now();
    const rerun = await waitFor(() => cluster!.ofType('run').find((e) => e.task === 'long' && e.pid === other.pid), {
      timeoutMs: 8000,
      message: 'the slot re-run on the other instance',
    });
    expect(rerun.slot).toBe(slot);
    // shutdownTimeoutMs, the abort grace, then at once: well before a lease (3 s) could even expire.
    expect(rerun.real - stoppedAt).toBeLessThan(3500);
    await owner.exit();
    expect(owner.exitCode === 0 || owner.exitSignal === 'SIGTERM').toBe(true);
    const ended = cluster.ofType('end').find((e) => e.task === 'long' && e.pid === owner.pid);
    expect(ended?.aborted).toBe(true);
  }, 60_000);
});
