/**
 * Hosts whose wall clocks are wrong (tools/faults/clock-skew.mjs shifts Date.now / new Date of a worker
 * process): slots, heartbeats and silence checks must follow the one cluster clock (Redis TIME), so that runs
 * start at their slot in real time and a dead worker is recovered within the lease whatever its clock said.
 * Issue 10 item 10. Times here are real times: the test process's clock, and each event's `real` (the
 * worker's clock without its shift).
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskManagerKeys } from 'nestjs-task-manager/testing';
import { Cluster, type WorkerEvent, minuteCronIn } from '../support/cluster.js';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from '../support/redis.js';

const SETTINGS = { runningHeartbeatInterval: 1, leaderHeartbeatInterval: 1, leaderRetryInterval: 1 };
const RECOVERY_BOUND_MS = 3 * SETTINGS.runningHeartbeatInterval * 1000 + 2000;

const SKEW_MS = 5000;
/**
 * Runs that started before their slot (real time), or later than half the skew after it. A run planned on a
 * skewed clock is SKEW_MS early or late. The start is the worker's real time when its handler began
 * (`real`), not the receipt time `at`: on a loaded CI machine the test process received the two runs of one
 * slot 2.75 s after it, in one chunk (the same `at`). The margin on the late side absorbs a
 * worker that is itself slow to start a run on such a machine.
 */
function offSlot(runs: WorkerEvent[]): Array<{ slot: number; startedAfterSlotMs: number }> {
  return runs
    .map((e) => ({ slot: e.slot!, startedAfterSlotMs: e.real - e.slot! }))
    .filter(({ startedAfterSlotMs }) => startedAfterSlotMs < -30 || startedAfterSlotMs > SKEW_MS / 2);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('hosts with skewed clocks', () => {
  const prefix = uniquePrefix('skew');
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  it('runs every slot at its real time whether the leader runs 5 s ahead or 5 s behind', async () => {
    cluster = new Cluster({ redisUrl: redisUrl(), prefix, tasks: 2, options: SETTINGS });
    const ahead = await cluster.start({ clockSkewMs: SKEW_MS });
    await cluster.waitForLeader();
    const behind = await cluster.start({ clockSkewMs: -SKEW_MS });
    await sleep(1000); // the second instance's boot competes for the CPU with the runs of its first second
    const firstPhase = Date.now();
    await sleep(5000);
    const led = cluster.ofType('run').filter((e) => e.real >= firstPhase);
    expect(led.length).toBeGreaterThanOrEqual(8);
    expect(offSlot(led), JSON.stringify(offSlot(led))).toEqual([]);
    ahead.signal('SIGKILL');
    await cluster.waitForLeader(10_000, ahead);
    expect(cluster.leader()).toBe(behind);
    const secondPhase = Date.now();
    await sleep(4000);
    const ledBehind = cluster.ofType('run').filter((e) => e.real >= secondPhase);
    expect(ledBehind.length).toBeGreaterThanOrEqual(6);
    expect(offSlot(ledBehind), JSON.stringify(offSlot(ledBehind))).toEqual([]);
  }, 60_000);

  it('recovers the run of a dead worker whose clock ran 20 s ahead within 3 x runningHeartbeatInterval + 2 s', async () => {
    const { cron, slot } = minuteCronIn(8000);
    cluster = new Cluster({ redisUrl: redisUrl(), prefix, longTaskCron: cron, longTaskMs: 30_000, options: SETTINGS });
    // The leader is kept busy (one 60 s run, one slot), so the long run goes to the skewed worker.
    const leader = await cluster.start({
      tasks: 1,
      taskMs: 60_000,
      options: { ...SETTINGS, concurrentTasks: 1, allowParallel: false },
    });
    await cluster.waitForLeader();
    const skewed = await cluster.start({ clockSkewMs: 20_000 });
    const first = await waitFor(() => cluster!.ofType('run').find((e) => e.task === 'long'), { timeoutMs: 15_000 });
    expect(first.pid).toBe(skewed.pid);
    expect(first.slot).toBe(slot);
    const rescuer = await cluster.start();
    expect(cluster.leader()).toBe(leader);
    // Its heartbeats are recorded on the cluster clock, not 20 s in the future.
    const redis = new Redis(redisUrl());
    try {
      const lastSeen = Number(await redis.zscore(new TaskManagerKeys(prefix).workers, skewed.workerId!));
      expect(Math.abs(lastSeen - Date.now())).toBeLessThan(2000);
    } finally {
      redis.disconnect();
    }
    skewed.signal('SIGKILL');
    const killedAt = Date.now();
    const rerun = await waitFor(() => cluster!.ofType('run').find((e) => e.task === 'long' && e.pid === rescuer.pid), {
      timeoutMs: RECOVERY_BOUND_MS + 25_000,
    });
    expect(rerun.slot).toBe(slot);
    expect(rerun.real - killedAt).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
  }, 90_000);
});
