/**
 * Fencing: a leader frozen past its lease must not publish once resumed. "No duplicates" alone cannot show
 * it: the publish script's compare-and-set on each due entry hides a stale leader's publish whenever the
 * current leader advanced that entry first. So each frozen leader here resumes with slots due that nobody
 * published (its successor is frozen too), and the test counts the publishes the token check refused
 * (the scheduler logs each one): deleting that check, or letting a merely expired lease through, leaves
 * the count at zero.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../support/cluster.js';
import { fencedPublishes, freezeBeforeSecond } from '../support/fencing.js';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from '../support/redis.js';

const TASKS = 5;
const FAST = {
  leaderHeartbeatInterval: 0.5,
  leaderRetryInterval: 0.5,
  runningHeartbeatInterval: 0.5,
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('fencing', () => {
  const prefix = uniquePrefix('fencing');
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  it('a leader frozen past its lease (SIGSTOP) is fenced off once resumed (SIGCONT), whether its lease was taken over or merely expired', async () => {
    cluster = new Cluster({ redisUrl: redisUrl(), prefix, tasks: TASKS, options: FAST });
    await Promise.all([cluster.start(), cluster.start()]);
    const first = await cluster.waitForLeader();
    await sleep(2000);
    const from = Date.now();
    await freezeBeforeSecond(first);
    // The other instance takes over while the first still believes it leads.
    const second = await cluster.waitForLeader(5000, first);
    await sleep(1500);
    // Now the second freezes too: its lease expires and nobody holds it while slots fall due.
    await freezeBeforeSecond(second);
    await sleep(2000);

    first.signal('SIGCONT');
    const resumedAt = Date.now();
    await waitFor(() => fencedPublishes(first) > 0, {
      timeoutMs: 2000,
      message: 'the first leader, resumed after its lease expired (nobody holding it), is fenced off',
    });
    // It steps down, then leads again with a new term (the lease is free) and publishes the slots due.
    expect(Date.now() - resumedAt).toBeLessThan(2000);
    await sleep(1000);
    second.signal('SIGCONT');
    await waitFor(() => !cluster!.leaders().includes(second), { timeoutMs: 3000, message: 'second steps down' });
    await sleep(3000);
    const to = Date.now() - 1500;

    expect(cluster.leaders()).toEqual([first]);
    const report = cluster.slotReport(from, to, TASKS);
    expect(report.duplicated).toEqual([]);
    expect(report.missing).toEqual([]);
    // The second noticed through its own renewal or a fenced publish, never by publishing.
    expect(second.output).toMatch(
      /no longer the leader: (its lease expired or was taken over|Leadership lost: the fencing token is stale|it could not renew its lease in time)/,
    );
  }, 60_000);
});
