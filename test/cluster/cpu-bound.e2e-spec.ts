/**
 * A handler that blocks the event loop longer than the run lease (a CPU-bound loop): its process is healthy,
 * so its run must not be re-run elsewhere. Run leases are renewed from a worker thread, which a blocked
 * event loop does not stop; the instance warns loudly about the blocked loop; it gives the leadership up (a
 * blocked leader cannot publish), and another instance takes over. Issue 10 item 4.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, minuteCronIn } from '../support/cluster.js';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from '../support/redis.js';

const SETTINGS = { runningHeartbeatInterval: 1, leaderHeartbeatInterval: 1, leaderRetryInterval: 1 };

describe('a CPU-bound handler longer than the lease', () => {
  const prefix = uniquePrefix('cpu');
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  it('runs once: its lease is kept while the loop is blocked, and the blocked instance warns', async () => {
    const { cron, slot } = minuteCronIn(7000);
    cluster = new Cluster({
      redisUrl: redisUrl(),
      prefix,
      env: { CPU_TASK_CRON: cron, CPU_TASK_MS: '8000' },
      options: SETTINGS,
    });
    await Promise.all([cluster.start(), cluster.start()]);
    const run = await waitFor(() => cluster!.ofType('run').find((e) => e.task === 'cpu'), { timeoutMs: 15_000 });
    expect(run.slot).toBe(slot);
    await waitFor(() => cluster!.ofType('end').some((e) => e.task === 'cpu'), { timeoutMs: 15_000 });
    // Well past the lease (3 s) and a recovery: nobody ran it a second time.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(cluster.ofType('run').filter((e) => e.task === 'cpu')).toHaveLength(1);
    const blocked = cluster.workers.find((w) => w.pid === run.pid)!;
    expect(blocked.output).toMatch(/event loop was blocked for \d+ ms/);
    // A leader remains (the other instance, if the blocked one led).
    expect(cluster.leaders()).toHaveLength(1);
    expect(cluster.ofType('unhandledRejection')).toEqual([]);
  }, 60_000);
});
