/**
 * The leader elector on fake time: terms, re-arming after errors, stepping down on a lost lease or on a
 * local timer when renewals hang, and failover to a second instance (real orchestrators on the in-process
 * driver).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LeaseControl } from '../../src/engine/coordination.port.js';
import { LeaderElector, type ElectionListener } from '../../src/engine/leader-elector.js';
import { Scheduler } from '../../src/engine/scheduler.js';
import { ClusterClock } from '../../src/engine/cluster-clock.js';
import { LeadershipLostError } from '../../src/errors/leadership-lost.error.js';
import { TaskRegistry } from '../../src/registry/task-registry.js';
import { makeTask } from '../support/task-definition.fixture.js';
import { EngineHarness, eventsOf, silent } from './engine-harness.js';
import { ManualTimers } from './manual-timers.js';

/** A promise settled from outside. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

type Renewal = Awaited<ReturnType<LeaseControl['renew']>>;

/** A leadership port whose acquisitions succeed with a new epoch unless scripted to fail; renewals are scripted. */
class ScriptedLeadership implements LeaseControl {
  epoch = 0;
  acquisitions = 0;
  /** Acquisitions left to fail (Redis unreachable). */
  failAcquisitions = 0;
  /** When set, the next renewals wait on it. */
  renewal?: Promise<Renewal>;
  renewals = 0;
  /** When the last renewal that answered was sent. */
  renewedAt = 0;

  constructor(private readonly timers: ManualTimers) {}

  async acquire(workerId: string) {
    this.acquisitions++;
    if (this.failAcquisitions > 0) {
      this.failAcquisitions--;
      throw new Error('connection refused');
    }
    this.epoch++;
    this.renewedAt = this.timers.now();
    return { token: `${workerId}|${this.epoch}`, epoch: this.epoch, serverTime: this.timers.now() };
  }

  async renew() {
    this.renewals++;
    if (this.renewal) return this.renewal;
    this.renewedAt = this.timers.now();
    return { renewed: true, oldestWorkerSeen: null, serverTime: this.timers.now() };
  }

  async release(): Promise<void> {}
}

const YEARLY = '0 0 1 1 *';

describe('LeaderElector', () => {
  const electors: LeaderElector[] = [];
  let harness: EngineHarness | undefined;
  afterEach(async () => {
    for (const elector of electors.splice(0)) await elector.stop();
    await harness?.stopAll();
    harness = undefined;
  });

  function elector(
    port: LeaseControl,
    timers: ManualTimers,
    heartbeatMs = 60,
    listener: Partial<ElectionListener> = {},
  ) {
    const created = new LeaderElector(
      {
        port,
        workerId: 'w',
        listener: { onGained: () => undefined, onLost: () => undefined, onRenewed: () => undefined, ...listener },
        logger: silent,
        clock: new ClusterClock(timers),
        timers,
      },
      {
        heartbeatMs,
        retryMs: 30,
        leaseTtlMs: heartbeatMs * 3,
        retryMarginMs: 25,
        retryJitterMs: 50,
        renewRetryMs: heartbeatMs / 3,
        checkWorkersEvery: 2,
        clockSampleEvery: 10,
      },
    );
    electors.push(created);
    return created;
  }

  // Issue 10 item 13: a renewal still pending when lose() ran made the retry timer fire while busy, and the
  // renewal then returned without rescheduling: the elector never tried again (0 acquisitions afterwards).
  it('keeps trying to lead after losing while a renewal was pending', async () => {
    const timers = new ManualTimers();
    const port = new ScriptedLeadership(timers);
    const subject = elector(port, timers);
    subject.start();
    await timers.until(() => subject.isLeader);
    const pending = deferred<Renewal>();
    port.renewal = pending.promise;
    const renewals = port.renewals;
    await timers.until(() => port.renewals > renewals); // a renewal is now pending
    subject.lose('fenced off by a publish');
    await timers.advance(60); // the retry timer fires while the renewal is still pending
    port.renewal = undefined;
    pending.resolve({ renewed: true, oldestWorkerSeen: null, serverTime: timers.now() });
    const before = port.acquisitions;
    await timers.until(() => port.acquisitions > before && subject.isLeader, 1000);
  });

  it('keeps trying to acquire through errors (Redis unreachable), then leads', async () => {
    const timers = new ManualTimers();
    const port = new ScriptedLeadership(timers);
    port.failAcquisitions = 5;
    const subject = elector(port, timers);
    subject.start();
    // Every retryMs (30 ms): the sixth attempt succeeds.
    const took = await timers.until(() => subject.isLeader, 1000);
    expect(port.acquisitions).toBe(6);
    expect(took).toBeLessThanOrEqual(5 * 30 + 10);
  });

  it('keeps its lease through a failed renewal, retrying sooner than a heartbeat', async () => {
    const timers = new ManualTimers();
    const port = new ScriptedLeadership(timers);
    const lost: string[] = [];
    const subject = elector(port, timers, 60, { onLost: (reason) => lost.push(reason) });
    subject.start();
    await timers.until(() => subject.isLeader);
    // One renewal fails, then they succeed again.
    let failed = false;
    const renew = port.renew.bind(port);
    port.renew = async () => {
      if (!failed) {
        failed = true;
        port.renewals++;
        throw new Error('connection reset');
      }
      return renew();
    };
    await timers.until(() => failed, 1000);
    const failedAt = timers.now();
    const renewals = port.renewals;
    await timers.until(() => port.renewals > renewals, 1000);
    // renewRetryMs (20 ms) after a failure, not a heartbeat (the step-down deadline is 2 heartbeats after the
    // last success: a retry a heartbeat later would come too late).
    expect(timers.now() - failedAt).toBeLessThanOrEqual(20);
    await timers.advance(600);
    expect(subject.isLeader).toBe(true);
    expect(lost).toEqual([]);
  });

  // Issue 15 (the soak at P = 6, a `latency` fault of 285 ms each way): the next renewal was sent a heartbeat
  // after the last one *answered*, so a round trip over half a heartbeat met the step-down deadline (TTL -
  // heartbeat after the last renewal was sent) before its reply: the leader stepped down, took the lease back,
  // and stepped down again, for as long as the link was slow. Renewals are paced from when they were sent.
  it('keeps its lease over a slow link (round trips of more than half a heartbeat)', async () => {
    const timers = new ManualTimers();
    const port = new ScriptedLeadership(timers);
    const lost: string[] = [];
    const subject = elector(port, timers, 60, { onLost: (reason) => lost.push(reason) });
    // Every acquisition and renewal answers 40 ms (two thirds of a heartbeat) after it is sent.
    const slow =
      <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
      (...args: A) =>
        new Promise<R>((resolve, reject) => timers.setTimeout(() => call(...args).then(resolve, reject), 40));
    port.acquire = slow(port.acquire.bind(port));
    port.renew = slow(port.renew.bind(port));
    subject.start();
    await timers.until(() => subject.isLeader);
    const renewals = port.renewals;
    await timers.advance(1200);
    expect(lost).toEqual([]);
    expect(subject.isLeader).toBe(true);
    // About one renewal per heartbeat, not one per heartbeat plus a round trip.
    expect(port.renewals - renewals).toBeGreaterThanOrEqual(18);
  });

  // Issue 10 item 3: a hung link (no reply, no error) kept the leader claiming leadership for ever; the
  // step-down deadline was only checked when a renewal failed.
  it('steps down on a local timer once no renewal succeeded for TTL - heartbeat, even if the renewal hangs', async () => {
    const timers = new ManualTimers();
    const port = new ScriptedLeadership(timers);
    const lost: string[] = [];
    const subject = elector(port, timers, 60, { onLost: (reason) => lost.push(reason) });
    subject.start();
    await timers.until(() => subject.isLeader);
    port.renewal = new Promise(() => undefined); // never settles
    await timers.until(() => !subject.isLeader, 1000, 1);
    const lastRenewal = port.renewedAt;
    expect(lost).toEqual(['it could not renew its lease in time']);
    // TTL - heartbeat (120 ms) after the last successful renewal was sent: before the lease (180 ms) expires.
    expect(timers.now() - lastRenewal).toBe(120);
  });

  // Issue 10 item 12: a LeadershipLostError of an earlier term, settling after re-election, dropped the
  // current term (elector.lose() was unconditional).
  it('ignores a LeadershipLostError of an earlier term', async () => {
    const timers = new ManualTimers();
    const port = new ScriptedLeadership(timers);
    const publish = deferred<never>();
    let fetches = 0;
    const schedule = {
      fetchDue: async () => (fetches++ === 0 ? [{ source: 'scheduled', taskId: 'x', slot: 1, rawScore: '1' }] : []),
      peekEarliest: async () => null,
      publish: () => publish.promise,
    };
    let scheduler: Scheduler;
    const subject = elector(port, timers, 1000, {
      onGained: (token) => scheduler.start(token),
      onLost: () => scheduler.stop(),
    });
    scheduler = new Scheduler(
      {
        port: schedule as never,
        registry: new TaskRegistry(),
        onLeadershipLost: (reason: string, token?: string) => subject.lose(reason, false, token),
        logger: silent,
        clock: new ClusterClock(timers),
        timers,
      },
      {
        batchSize: 10,
        unknownTaskPostponeMs: 1000,
        maxSleepMs: 1000,
        errorRetryMs: 50,
        misfireToleranceMs: 1000,
        misfireMaxRuns: 1,
      },
    );
    subject.start();
    await timers.until(() => subject.isLeader && fetches > 0); // term 1: the publish is pending
    subject.lose('renewal failed');
    await timers.until(() => subject.isLeader); // term 2
    expect(port.epoch).toBe(2);
    publish.reject(new LeadershipLostError()); // term 1's publish is refused
    await timers.advance(20);
    expect(subject.isLeader).toBe(true);
  });

  it('steps down, stopping the leader loops, when a renewal is refused (the lease was taken over)', async () => {
    harness = new EngineHarness();
    const { timers, store } = harness;
    const task = makeTask({ name: 'x', expression: YEARLY });
    const a = harness.instance('a', [task]);
    await harness.startLeader(a);
    // Its lease expired while it was frozen and someone else took it.
    store.leader = { token: 'z|99', expiresAt: timers.now() + 600_000 };
    await timers.until(() => !a.orchestrator.isLeader, 10_000);
    expect(eventsOf(a, 'leadership.lost')).toEqual([
      { workerId: 'a', reason: 'its lease expired or was taken over', voluntary: false },
    ]);
    // Its scheduler stopped: a trigger is no longer published by it.
    await a.port.state.trigger([task.id]);
    await timers.advance(5000);
    expect(store.normal.queued.size + store.normal.pending.size).toBe(0);
  });

  it('fails over to a second instance once the leader stops renewing, never with two leaders at once', async () => {
    harness = new EngineHarness();
    const { timers, store } = harness;
    const task = makeTask({ name: 'x', expression: YEARLY });
    const a = harness.instance('a', [task]);
    const b = harness.instance('b', [task]);
    await harness.startLeader(a);
    await harness.start(b);
    await timers.advance(30_000);
    expect(b.orchestrator.isLeader).toBe(false);
    // a's link to Redis hangs: its renewals never answer.
    a.port.leadership.renew = () => new Promise(() => undefined);
    const hungAt = timers.now();
    let overlap = false;
    await timers.until(() => {
      overlap ||= a.orchestrator.isLeader && b.orchestrator.isLeader;
      return b.orchestrator.isLeader;
    }, 60_000);
    expect(overlap).toBe(false);
    expect(a.orchestrator.isLeader).toBe(false);
    // The lease (9 s) expires at most 9 s after a's last renewal; b tries right then (plus margin and jitter).
    expect(timers.now() - hungAt).toBeLessThanOrEqual(9000 + 100);
    expect(eventsOf(b, 'leadership.gained')).toMatchObject([{ workerId: 'b', epoch: store.epoch }]);
    // The new leader publishes.
    await b.port.state.trigger([task.id]);
    await timers.until(() => eventsOf(a, 'run.succeeded').length + eventsOf(b, 'run.succeeded').length === 1);
  });

  it('hands over at once when the leader shuts down (release and notice)', async () => {
    harness = new EngineHarness();
    const { timers } = harness;
    const a = harness.instance('a', []);
    const b = harness.instance('b', []);
    await harness.startLeader(a);
    await harness.start(b);
    await timers.advance(1000);
    let stopped = false;
    void a.orchestrator.stop().then(() => (stopped = true));
    const took = await timers.until(() => b.orchestrator.isLeader, 10_000, 1);
    // Not the retry interval (5 s) nor the lease (9 s): the released notice pokes b.
    expect(took).toBeLessThan(100);
    await timers.until(() => stopped);
  });
});

// Issue 14: a new instance read the server clock on each of its first eight renewals (or heartbeats), a command
// more per renewal through an idle leader's first half-minute.
describe('the cluster clock at start-up', () => {
  let harness: EngineHarness | undefined;
  afterEach(async () => harness?.stopAll());

  it('is settled by reads at start-up: the leader then samples the clock on one renewal in ten', async () => {
    harness = new EngineHarness();
    const { timers } = harness;
    const a = harness.instance('a', [makeTask({ name: 'x', expression: YEARLY })]);
    let reads = 0;
    const serverTime = a.port.workers.serverTime.bind(a.port.workers);
    a.port.workers.serverTime = () => (reads++, serverTime());
    const sampled: boolean[] = [];
    const renew = a.port.leadership.renew.bind(a.port.leadership);
    a.port.leadership.renew = (token, ttlMs, checkWorkers, clusterNow) => {
      sampled.push(clusterNow === undefined);
      return renew(token, ttlMs, checkWorkers, clusterNow);
    };
    await harness.startLeader(a);
    // The announcement is the first sample; seven reads make eight.
    expect(reads).toBe(7);
    await timers.advance(30_000);
    expect(sampled.length).toBeGreaterThanOrEqual(9);
    expect(sampled.slice(0, 10).filter(Boolean)).toHaveLength(1);
  });
});
