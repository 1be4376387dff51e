/**
 * Fencing with 6 partitions (issue 15): an instance frozen past its partitions' leases must not publish once
 * resumed. As in fencing.e2e-spec.ts, the instance that took its partitions over is frozen too, so the first
 * resumes with slots due that nobody published, and the publishes its stale tokens were refused are counted
 * (the scheduler logs each one).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../support/cluster.js';
import { fencedPublishes, freezeBeforeSecond } from '../support/fencing.js';
import { describeLayout, runsWithPartitions } from '../support/layout.js';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from '../support/redis.js';

const TASKS = 12;
const P = 6;
const FAST = {
  partitions: P,
  leaderHeartbeatInterval: 0.5,
  leaderRetryInterval: 0.5,
  runningHeartbeatInterval: 0.5,
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(runsWithPartitions(P))(`partitions: 6, fencing (${describeLayout()})`, () => {
  const prefix = uniquePrefix('p6-fencing');
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  it('an instance frozen past its leases (SIGSTOP) is fenced off once resumed (SIGCONT)', async () => {
    cluster = new Cluster({ redisUrl: redisUrl(), prefix, tasks: TASKS, options: FAST });
    const [a, b] = await Promise.all([cluster.start(), cluster.start()]);
    await cluster.waitForPartitionLeaders(P, 30_000, (counts) => counts.every((n) => n === 3));
    await sleep(1000);
    const from = Date.now();
    await freezeBeforeSecond(a);
    // b takes every partition while a still believes it leads three.
    await waitFor(() => cluster!.partitionLeaders(P).every((workers) => workers.includes(b)), {
      timeoutMs: 8000,
      message: 'b leads every partition',
    });
    await sleep(1500);
    // Now b freezes too: its leases expire and nobody holds them while slots fall due.
    await freezeBeforeSecond(b);
    await sleep(2000);

    a.signal('SIGCONT');
    const resumedAt = Date.now();
    await waitFor(() => fencedPublishes(a) > 0, {
      timeoutMs: 2000,
      message: 'a, resumed after its leases expired (nobody holding them), is fenced off',
    });
    expect(Date.now() - resumedAt).toBeLessThan(2000);
    await sleep(1000);
    b.signal('SIGCONT');
    await cluster.waitForPartitionLeaders(P, 10_000);
    await sleep(3000);
    const to = Date.now() - 1500;

    const report = cluster.slotReport(from, to, TASKS);
    expect(report.duplicated).toEqual([]);
    expect(report.missing).toEqual([]);
    // b noticed through its renewals or a fenced publish, never by publishing twice.
    expect(b.output).toMatch(
      /no longer the leader: (its lease expired or was taken over|Leadership lost: the fencing token is stale|it could not renew its lease in time)/,
    );
  }, 60_000);
});
