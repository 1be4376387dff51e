import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../support/cluster.js';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from '../support/redis.js';

const TASKS = 5;
const FAST = {
  leaderHeartbeatInterval: 0.5,
  leaderRetryInterval: 0.5,
  runningHeartbeatInterval: 0.5,
};

describe('fencing', () => {
  const prefix = uniquePrefix('fencing');
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  it('a leader frozen past its lease (SIGSTOP) publishes nothing once resumed (SIGCONT) and becomes a follower', async () => {
    cluster = new Cluster({
      redisUrl: redisUrl(),
      prefix,
      tasks: TASKS,
      options: FAST,
    });
    await Promise.all([cluster.start(), cluster.start(), cluster.start()]);
    const old = await cluster.waitForLeader();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const from = Date.now();
    old.signal('SIGSTOP');
    // Another instance takes over while the old leader still believes it leads.
    const successor = await cluster.waitForLeader(5000, old);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    old.signal('SIGCONT');
    const resumedAt = Date.now();
    await waitFor(() => !cluster!.leaders().includes(old), {
      timeoutMs: 3000,
      message: 'old leader steps down',
    });
    expect(Date.now() - resumedAt).toBeLessThan(2000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const to = Date.now() - 1500;
    expect(cluster.leaders()).toEqual([successor]);
    const report = cluster.slotReport(from, to, TASKS);
    expect(report.duplicated).toEqual([]);
    expect(report.missing).toEqual([]);
    // It noticed through its own renewal or a fenced publish, never by publishing.
    expect(old.output).toMatch(
      /no longer the leader: (its lease expired or was taken over|Leadership lost: the fencing token is stale|it could not renew its lease in time)/,
    );
  }, 60_000);
});
