/**
 * The elector of one partition of several, gated by the instance's lease balancer (issue 15): it asks the gate
 * before each acquisition, tries at once on 'open' and one yield delay later on 'yield', reserves each
 * attempt and settles it exactly once, and hands its lease over on demand (stepping down before the release).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LeaseControl } from '../../src/engine/coordination.port.js';
import { ClusterClock } from '../../src/engine/cluster-clock.js';
import type { AcquireGate } from '../../src/engine/acquire-gate.js';
import { LeaderElector } from '../../src/engine/leader-elector.js';
import type { GateVerdict } from '../../src/engine/lease-balancer.js';
import { silent } from './engine-harness.js';
import { ManualTimers } from './manual-timers.js';

const HEARTBEAT = 60;
const RETRY = 30;
const YIELD = 60;

/** One lease, held by `holder` until `expiresAt` (fake time); acquisitions can be made to fail or hang. */
class Lease implements LeaseControl {
  holder: string | null = null;
  expiresAt = 0;
  epoch = 0;
  /** Every acquisition, with when it was sent. */
  readonly attempts: Array<{ workerId: string; at: number }> = [];
  readonly releases: string[] = [];
  fail = false;
  hang?: Promise<never>;

  constructor(private readonly timers: ManualTimers) {}

  async acquire(workerId: string, ttlMs: number) {
    const now = this.timers.now();
    this.attempts.push({ workerId, at: now });
    if (this.hang) await this.hang;
    if (this.fail) throw new Error('connection refused');
    if (this.holder && this.holder !== workerId && this.expiresAt > now)
      return { retryInMs: this.expiresAt - now, serverTime: now };
    this.holder = workerId;
    this.expiresAt = now + ttlMs;
    this.epoch++;
    return { token: `${workerId}|${this.epoch}`, epoch: this.epoch, serverTime: now };
  }

  async renew(token: string, ttlMs: number) {
    const now = this.timers.now();
    const renewed = token === `${this.holder}|${this.epoch}` && this.expiresAt > now;
    if (renewed) this.expiresAt = now + ttlMs;
    return { renewed, oldestWorkerSeen: null, serverTime: now };
  }

  async release(token: string): Promise<void> {
    this.releases.push(token);
    if (token === `${this.holder}|${this.epoch}`) this.holder = null;
  }
}

/** A gate whose verdict a test sets, recording every call. */
class RecordingGate implements AcquireGate {
  readonly yieldMs = YIELD;
  verdict: GateVerdict = 'open';
  /** When the gate was asked to refresh its view. */
  readonly refreshes: number[] = [];

  constructor(private readonly now: () => number) {}
  /** What yieldOver answers. */
  over = true;
  readonly calls: string[] = [];

  gate(): GateVerdict {
    return this.verdict;
  }
  yieldOver(): boolean {
    return this.over;
  }
  refresh(): void {
    this.refreshes.push(this.now());
  }
  reserve(): void {
    this.calls.push('reserve');
  }
  settle(acquired: boolean): void {
    this.calls.push(acquired ? 'taken' : 'not taken');
  }
}

describe('LeaderElector with a gate (several partitions)', () => {
  const electors: LeaderElector[] = [];
  afterEach(async () => {
    for (const elector of electors.splice(0)) await elector.stop();
  });

  function setup(verdict: GateVerdict) {
    // (From 0: attempt times read as offsets.)
    const timers = new ManualTimers(0);
    const lease = new Lease(timers);
    const gate = new RecordingGate(() => timers.now());
    gate.verdict = verdict;
    const lost: Array<{ reason: string; voluntary: boolean }> = [];
    const elector = new LeaderElector(
      {
        port: lease,
        workerId: 'w',
        gate,
        listener: {
          onGained: () => gate.calls.push('gained'),
          onLost: (reason, voluntary) => lost.push({ reason, voluntary }),
          onRenewed: () => undefined,
        },
        logger: silent,
        clock: new ClusterClock(timers),
        timers,
      },
      {
        heartbeatMs: HEARTBEAT,
        retryMs: RETRY,
        leaseTtlMs: HEARTBEAT * 3,
        retryMarginMs: 0,
        retryJitterMs: 0,
        renewRetryMs: HEARTBEAT / 3,
        checkWorkersEvery: 2,
        clockSampleEvery: 10,
      },
    );
    electors.push(elector);
    return { timers, lease, gate, lost, elector };
  }

  it('tries at once when the gate is open; reserves before sending and settles once it took the lease', async () => {
    const { timers, lease, gate, elector } = setup('open');
    elector.start();
    await timers.until(() => elector.isLeader, 1000, 1);
    expect(lease.attempts).toEqual([{ workerId: 'w', at: 0 }]);
    expect(gate.calls).toEqual(['reserve', 'taken', 'gained']);
  });

  it('tries one yield delay later when the gate says yield, and then whatever it says', async () => {
    const { timers, lease, gate, elector } = setup('yield');
    elector.start();
    await timers.advance(YIELD - 1);
    expect(lease.attempts).toEqual([]);
    await timers.until(() => elector.isLeader, 1000, 1);
    expect(lease.attempts).toEqual([{ workerId: 'w', at: YIELD }]);
    expect(gate.calls).toEqual(['reserve', 'taken', 'gained']);
  });

  it('waits another yield delay when its gate says the yield is not over (another yield-take went first)', async () => {
    const { timers, lease, gate, elector } = setup('yield');
    gate.over = false;
    elector.start();
    await timers.advance(YIELD * 2 + 1);
    expect(lease.attempts).toEqual([]);
    gate.over = true;
    await timers.until(() => elector.isLeader, 1000, 1);
    expect(lease.attempts).toEqual([{ workerId: 'w', at: YIELD * 3 }]);
  });

  it('yields from when the lease is free: its expiry by the last refusal, or a release announced (a poke)', async () => {
    const { timers, lease, gate, elector } = setup('yield');
    lease.holder = 'other';
    lease.expiresAt = 100;
    elector.start();
    await timers.until(() => lease.attempts.length === 1, 1000, 1); // at 0 + the yield: refused, free at 100
    expect(lease.attempts[0].at).toBe(YIELD);
    lease.expiresAt = 1_000_000; // renewed meanwhile
    await timers.until(() => lease.attempts.length === 2, 1000, 1);
    expect(lease.attempts[1].at).toBe(100 + YIELD);
    // The gate was asked to refresh its view when the yield began (nothing known), then at the expiry the
    // refusal gave (its holder may be dead), once each.
    expect(gate.refreshes).toEqual([0, 100]);
    await timers.advance(10);
    lease.holder = null; // released, and said so
    elector.poke();
    await timers.until(() => elector.isLeader, 1000, 1);
    expect(lease.attempts[2].at).toBe(100 + YIELD + 10 + YIELD);
  });

  it('a yielding elector asked to reconsider tries at once if its gate opened, else keeps its delay', async () => {
    const { timers, lease, gate, elector } = setup('yield');
    elector.start();
    await timers.advance(10);
    elector.reconsider();
    await timers.advance(10);
    expect(lease.attempts).toEqual([]);
    gate.verdict = 'open'; // e.g. this instance lost a lease: below its share now
    elector.reconsider();
    await timers.until(() => elector.isLeader, 1000, 1);
    expect(lease.attempts).toEqual([{ workerId: 'w', at: 20 }]);
  });

  it('settles a refused, a failed and a hung-then-stopped attempt as not taken, once each', async () => {
    const { timers, lease, gate, elector } = setup('open');
    lease.holder = 'other';
    lease.expiresAt = 1_000_000;
    elector.start();
    await timers.until(() => lease.attempts.length === 1, 1000, 1);
    lease.fail = true;
    await timers.until(() => lease.attempts.length === 2, 1000, 1);
    lease.fail = false;
    let release!: () => void;
    lease.hang = new Promise<never>((_, reject) => (release = () => reject(new Error('link reset'))));
    await timers.until(() => lease.attempts.length === 3, 1000, 1);
    const stopping = elector.stop();
    release();
    await stopping;
    await timers.advance(10);
    expect(gate.calls).toEqual(['reserve', 'not taken', 'reserve', 'not taken', 'reserve', 'not taken']);
    expect(elector.isLeader).toBe(false);
  });

  it('an acquisition answered after a stop is released and settled as not taken', async () => {
    const { timers, lease, gate, elector } = setup('open');
    let answer!: () => void;
    lease.hang = new Promise<never>((_, reject) => (answer = () => reject(new Error('unused'))));
    // (Hangs, then goes on: the lease is taken as the elector stops.)
    const acquire = lease.acquire.bind(lease);
    lease.acquire = async (workerId, ttlMs) => {
      await new Promise<void>((resolve) => (answer = resolve));
      lease.hang = undefined;
      return acquire(workerId, ttlMs);
    };
    elector.start();
    await timers.advance(1);
    const stopping = elector.stop();
    answer();
    await stopping;
    await timers.advance(10);
    expect(elector.isLeader).toBe(false);
    expect(lease.holder).toBeNull();
    expect(gate.calls).toEqual(['reserve', 'not taken']);
  });

  it('hands its lease over: steps down (voluntarily) before releasing it, then yields to the others', async () => {
    const { timers, lease, gate, lost, elector } = setup('open');
    elector.start();
    await timers.until(() => elector.isLeader, 1000, 1);
    const token = `w|${lease.epoch}`;
    gate.verdict = 'yield';
    let leadingAtRelease: boolean | undefined;
    const releaseOf = lease.release.bind(lease);
    lease.release = async (t) => {
      leadingAtRelease = elector.isLeader;
      return releaseOf(t);
    };
    const handedAt = timers.now();
    expect(await elector.handOver('balancing')).toBe(true);
    expect(leadingAtRelease).toBe(false);
    expect(lease.releases).toEqual([token]);
    expect(lost).toEqual([{ reason: 'balancing', voluntary: true }]);
    // Another instance takes it at once (its gate open); this one tries a retry and a yield delay later.
    lease.holder = 'other';
    lease.expiresAt = 1_000_000;
    const attempts = lease.attempts.length;
    await timers.until(() => lease.attempts.length > attempts, 1000, 1);
    expect(lease.attempts.at(-1)!.at - handedAt).toBe(RETRY + YIELD);
    // Nothing to hand over when not leading.
    expect(await elector.handOver('again')).toBe(false);
  });
});
