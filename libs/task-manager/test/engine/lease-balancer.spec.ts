/**
 * The lease balancer's decisions (pure, no timers): the target ⌈P / live⌉, the live count from last-seen
 * times, the gate with reservations, the hand-over rule (two-tick hysteresis, minimum hold, shortest held, one
 * per tick), and a 1 → 3 → 2 instance story with three balancers sharing only a lease table.
 */
import { describe, expect, it } from 'vitest';
import { LeaseBalancer, leaseTarget, liveInstances } from '../../src/engine/lease-balancer.js';

const TTL = 3000;

/**
 * A balancer of P partitions holding `held` (partition → acquired at, each taken through an open gate: alone),
 * minimum hold one TTL, then seeing `live` instances.
 */
function balancer(partitions: number, live: number, held: Record<number, number> = {}): LeaseBalancer {
  const b = new LeaseBalancer({ partitions, minHoldMs: TTL, yieldMs: 1000 });
  for (const [partition, at] of Object.entries(held)) {
    b.reserve(Number(partition));
    b.settle(Number(partition), true, at);
  }
  b.observeLive(live);
  return b;
}

describe('leaseTarget', () => {
  it.each([
    [1, 6],
    [2, 3],
    [3, 2],
    [4, 2],
    [5, 2],
    [6, 1],
    [7, 1],
  ])('P = 6, live %i → %i', (live, target) => {
    expect(leaseTarget(6, live)).toBe(target);
    expect(balancer(6, live).target).toBe(target);
  });

  it('P = 1 is always 1; a live count below 1 counts as 1', () => {
    expect([1, 2, 5].map((live) => leaseTarget(1, live))).toEqual([1, 1, 1]);
    expect(leaseTarget(6, 0)).toBe(6);
    expect(balancer(6, 0).target).toBe(6);
  });

  it('refuses a partition count that is not an integer ≥ 1, and a negative minimum hold', () => {
    expect(() => new LeaseBalancer({ partitions: 0, minHoldMs: 0, yieldMs: 0 })).toThrow(RangeError);
    expect(() => new LeaseBalancer({ partitions: 1.5, minHoldMs: 0, yieldMs: 0 })).toThrow(RangeError);
    expect(() => new LeaseBalancer({ partitions: 2, minHoldMs: -1, yieldMs: 0 })).toThrow(RangeError);
    expect(() => new LeaseBalancer({ partitions: 2, minHoldMs: 0, yieldMs: -1 })).toThrow(RangeError);
  });
});

describe('liveInstances', () => {
  const now = 100_000;
  const silent = 1500;
  it.each([
    ['alone', [], 1],
    ['two others fresh', [now - 1400, now], 3],
    ['a silent one is left out', [now - 5000, now - 300], 2],
    ['exactly at the bound counts', [now - 1500], 2],
    ['one ms past the bound does not', [now - 1501], 1],
    ['every other one silent', [now - 9000, now - 4000], 1],
  ])('%s', (_name, othersLastSeen, live) => {
    expect(liveInstances(othersLastSeen, now, silent)).toBe(live);
  });
});

describe('gate', () => {
  it('is open while held + in flight < target, and yields at the target', () => {
    const b = balancer(6, 3, { 0: 0 });
    expect(b.gate(1)).toBe('open');
    b.reserve(1);
    expect(b.gate(2)).toBe('yield');
    b.settle(1, true, 10);
    expect(b.heldPartitions).toEqual([0, 1]);
    expect(b.gate(2)).toBe('yield');
  });

  it('two electors asking at once with one slot left: only the first (which reserves) sees it open', () => {
    const b = balancer(6, 3, { 0: 0 });
    const verdicts = [4, 5].map((partition) => {
      const verdict = b.gate(partition);
      if (verdict === 'open') b.reserve(partition);
      return verdict;
    });
    expect(verdicts).toEqual(['open', 'yield']);
  });

  it('a refused or failed acquisition frees its reservation', () => {
    const b = balancer(6, 3, { 0: 0 });
    b.reserve(4);
    expect(b.gate(5)).toBe('yield');
    expect(b.hasRoom).toBe(false);
    b.settle(4, false, 10);
    expect(b.gate(5)).toBe('open');
    expect(b.hasRoom).toBe(true);
    expect(b.heldPartitions).toEqual([0]);
  });

  it("a partition's own reservation does not close the gate on it", () => {
    const b = balancer(6, 3, { 0: 0 });
    b.reserve(4);
    expect(b.gate(4)).toBe('open');
  });

  it('follows the live count: a join closes it, a death opens it', () => {
    const b = balancer(6, 2, { 0: 0, 1: 0 });
    expect(b.gate(2)).toBe('open');
    b.observeLive(3);
    expect(b.gate(2)).toBe('yield');
    b.observeLive(2);
    expect(b.gate(2)).toBe('open');
  });

  it('a lost lease opens a slot again', () => {
    const b = balancer(6, 3, { 0: 0, 1: 0 });
    expect(b.gate(2)).toBe('yield');
    b.lost(1);
    expect(b.gate(2)).toBe('open');
  });
});

describe('toHandOver', () => {
  it('waits for a second tick in a row above the target (hysteresis)', () => {
    const b = balancer(6, 3, { 0: 0, 1: 0, 2: 0 });
    expect(b.toHandOver(10_000)).toBeUndefined();
    expect(b.toHandOver(11_000)).toBe(2);
  });

  it('a tick at or under the target restarts the count', () => {
    const b = balancer(6, 3, { 0: 0, 1: 0, 2: 0 });
    expect(b.toHandOver(10_000)).toBeUndefined();
    b.observeLive(2); // the join was a flicker: target 3
    expect(b.toHandOver(11_000)).toBeUndefined();
    b.observeLive(3);
    expect(b.toHandOver(12_000)).toBeUndefined();
    expect(b.toHandOver(13_000)).toBe(2);
  });

  it('never at or under the target', () => {
    const b = balancer(6, 3, { 0: 0, 1: 0 });
    for (let tick = 1; tick <= 5; tick++) expect(b.toHandOver(tick * 10_000)).toBeUndefined();
  });

  it('hands over the partition held the shortest time', () => {
    const b = balancer(6, 3, { 4: 0, 1: 2000, 3: 1000 });
    b.toHandOver(10_000);
    expect(b.toHandOver(11_000)).toBe(1);
  });

  it('skips partitions held less than the minimum hold, and waits when none qualifies', () => {
    const b = balancer(6, 3, { 0: 0, 1: 0, 5: 9000 });
    b.toHandOver(10_000);
    // 5 was taken 2 s ago (< TTL): the shortest held among those held ≥ TTL goes (0 and 1 tie: the higher).
    expect(b.toHandOver(11_000)).toBe(1);
    const young = balancer(6, 3, { 0: 9000, 1: 9500, 2: 9800 });
    young.toHandOver(10_000);
    expect(young.toHandOver(11_000)).toBeUndefined();
    expect(young.toHandOver(12_000)).toBe(0); // 0 reached the minimum hold
    expect(young.toHandOver(12_800)).toBe(2); // all have (the count stays above the target meanwhile)
  });

  it('one per tick: each tick names one partition, the caller reports it lost', () => {
    const b = balancer(6, 3, { 0: 0, 1: 100, 2: 200, 3: 300, 4: 400, 5: 500 });
    const handedOver: (number | undefined)[] = [];
    for (let tick = 1; tick <= 6; tick++) {
      const partition = b.toHandOver(10_000 + tick * 1000);
      handedOver.push(partition);
      if (partition !== undefined) b.lost(partition);
    }
    expect(handedOver).toEqual([undefined, 5, 4, 3, 2, undefined]);
    expect(b.heldPartitions).toEqual([0, 1]);
  });

  it('pauses after a yield-take for a minimum hold, doubling at each one, until the live count changes', () => {
    const b = balancer(6, 3, { 0: 0, 1: 0 });
    const yieldTake = (partition: number, at: number) => {
      expect(b.gate(partition)).toBe('yield');
      b.reserve(partition);
      b.settle(partition, true, at);
    };
    yieldTake(2, 10_000);
    expect(b.toHandOver(11_000)).toBeUndefined(); // first tick above the target
    expect(b.toHandOver(12_000)).toBeUndefined(); // paused until 13 000
    expect(b.toHandOver(13_000)).toBe(2);
    b.lost(2);
    yieldTake(2, 14_000); // nobody took it: the next pause is two minimum holds
    expect(b.toHandOver(19_999)).toBeUndefined();
    expect(b.toHandOver(20_000)).toBe(2);
    b.lost(2);
    yieldTake(2, 21_000);
    expect(b.toHandOver(23_999)).toBeUndefined(); // four minimum holds: until 33 000
    b.observeLive(4); // a new view ends the pause (target 2: still above it, the count goes on)
    expect(b.toHandOver(24_000)).toBe(2);
  });

  it('a take through an open gate and a failed yielding attempt do not count toward the pause', () => {
    const b = balancer(6, 3, { 0: 0 });
    expect(b.gate(1)).toBe('open');
    b.reserve(1);
    b.settle(1, true, 0);
    expect(b.gate(3)).toBe('yield');
    b.reserve(3);
    b.settle(3, false, 9000); // refused
    b.reserve(2);
    b.settle(2, true, 10_000); // the first yield-take: one minimum hold
    b.toHandOver(11_000);
    expect(b.toHandOver(12_999)).toBeUndefined();
    expect(b.toHandOver(13_000)).toBe(2);
  });

  it('spaces its yield-takes: none while one is in flight, nor within two yield delays of the last', () => {
    const b = balancer(6, 3, { 0: 0, 1: 0 }); // at its share: every other gate yields
    expect(b.mayYieldTake(5000)).toBe(true);
    b.reserve(4);
    expect(b.mayYieldTake(5000)).toBe(false); // a yielding attempt in flight
    b.settle(4, false, 5000); // refused: nothing taken, the next may go at once
    expect(b.mayYieldTake(5000)).toBe(true);
    b.reserve(4);
    b.settle(4, true, 6000);
    expect(b.mayYieldTake(7999)).toBe(false);
    expect(b.mayYieldTake(8000)).toBe(true);
    // An attempt through an open gate in flight does not hold them back.
    b.lost(0);
    b.lost(4);
    expect(b.gate(0)).toBe('open');
    b.reserve(0);
    expect(b.mayYieldTake(8000)).toBe(true);
  });

  it('nothing is handed over while alone', () => {
    const b = balancer(6, 1, { 0: 0, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 });
    for (let tick = 1; tick <= 4; tick++) expect(b.toHandOver(tick * 10_000)).toBeUndefined();
  });
});

/**
 * Three instances on one lease table, one step per heartbeat (1 s; lease TTL 3 s; silent after 1.5 s). Each
 * step: the alive instances beat and renew their leases; expired leases free their partitions; each balancer
 * observes the live count from everybody's last-seen times and hands over what it says; then each free
 * partition goes to the first instance whose gate is open, or, once it has been free for a step (the yield
 * delay), to the first alive instance whatever its gate says. The balancers share nothing but the table.
 */
class Cluster {
  now = 0;
  readonly leases = new Map<number, { owner: string; expiresAt: number }>();
  readonly instances = new Map<string, { balancer: LeaseBalancer; seenAt: number; alive: boolean; leads: boolean }>();
  private readonly freeSince = new Map<number, number>();
  handOvers = 0;

  constructor(private readonly partitions: number) {}

  /** `leads: false`: a worker that beats but takes no lease (say, one still starting). */
  join(id: string, leads = true): void {
    this.instances.set(id, {
      balancer: new LeaseBalancer({ partitions: this.partitions, minHoldMs: TTL, yieldMs: 1000 }),
      seenAt: this.now,
      alive: true,
      leads,
    });
  }

  kill(id: string): void {
    this.instances.get(id)!.alive = false;
  }

  step(): void {
    for (const instance of this.instances.values()) if (instance.alive) instance.seenAt = this.now;
    const alive = [...this.instances].filter(([, instance]) => instance.alive && instance.leads);
    for (const [partition, lease] of this.leases) {
      if (this.instances.get(lease.owner)!.alive) lease.expiresAt = this.now + TTL;
      else if (lease.expiresAt <= this.now) this.leases.delete(partition);
    }
    for (const [id, instance] of alive) {
      const others = [...this.instances].filter(([other]) => other !== id).map(([, other]) => other.seenAt);
      instance.balancer.observeLive(liveInstances(others, this.now, 1500));
      const partition = instance.balancer.toHandOver(this.now);
      if (partition === undefined) continue;
      this.leases.delete(partition);
      instance.balancer.lost(partition);
      this.handOvers++;
    }
    for (let partition = 0; partition < this.partitions; partition++) {
      if (this.leases.has(partition)) {
        this.freeSince.delete(partition);
        continue;
      }
      if (!this.freeSince.has(partition)) this.freeSince.set(partition, this.now);
      const yielded = this.now - this.freeSince.get(partition)! >= 1000;
      const taker = alive.find(([, instance]) => yielded || instance.balancer.gate(partition) === 'open');
      if (!taker) continue;
      taker[1].balancer.reserve(partition);
      this.leases.set(partition, { owner: taker[0], expiresAt: this.now + TTL });
      taker[1].balancer.settle(partition, true, this.now);
      this.freeSince.delete(partition);
    }
    this.now += 1000;
  }

  run(steps: number): void {
    for (let i = 0; i < steps; i++) this.step();
  }

  /** Leases per alive instance, by the table; each balancer's view must agree with it. */
  spread(): Record<string, number[]> {
    const spread: Record<string, number[]> = {};
    for (const [id, instance] of this.instances) {
      if (!instance.alive || !instance.leads) continue;
      const owned = [...this.leases]
        .filter(([, lease]) => lease.owner === id)
        .map(([partition]) => partition)
        .sort((a, b) => a - b);
      expect(instance.balancer.heldPartitions, id).toEqual(owned);
      spread[id] = owned;
    }
    return spread;
  }
}

describe('1 → 3 → 2 instances, P = 6', () => {
  it('one takes all; three settle at 2/2/2, one partition per step; two at 3/3 after a death', () => {
    const cluster = new Cluster(6);
    cluster.join('a');
    cluster.run(5);
    expect(cluster.spread()).toEqual({ a: [0, 1, 2, 3, 4, 5] });

    cluster.join('b');
    cluster.join('c');
    cluster.step(); // every view says 3 live: target 2, a's first tick above it
    expect(cluster.handOvers).toBe(0);
    cluster.step(); // second tick: one partition, taken at once by an open gate
    expect(cluster.handOvers).toBe(1);
    expect(cluster.spread()).toEqual({ a: [0, 1, 2, 3, 4], b: [5], c: [] });
    cluster.run(3);
    expect(cluster.spread()).toEqual({ a: [0, 1], b: [4, 5], c: [2, 3] });
    expect(cluster.handOvers).toBe(4);
    cluster.run(10);
    expect(cluster.spread()).toEqual({ a: [0, 1], b: [4, 5], c: [2, 3] });
    expect(cluster.handOvers).toBe(4);

    cluster.kill('c');
    let led = true;
    for (let i = 0; i < 10; i++) {
      cluster.step();
      // Every partition is led again within one lease TTL + the yield delay.
      if (i >= 2) led &&= cluster.leases.size === 6;
    }
    expect(led).toBe(true);
    expect(cluster.spread()).toEqual({ a: [0, 1, 2], b: [3, 4, 5] });
    expect(cluster.handOvers).toBe(4);
  });
});

describe('views that overcount the leaders', () => {
  it('every gate yields, yet no partition stays free longer than the yield delay', () => {
    // Three workers beat but only two lead: every view says target 2, so partitions 4 and 5 find no open gate.
    const cluster = new Cluster(6);
    cluster.join('a');
    cluster.join('b');
    cluster.join('starting', false);
    const freeFor = new Map<number, number>();
    let longest = 0;
    for (let i = 0; i < 30; i++) {
      cluster.step();
      for (let partition = 0; partition < 6; partition++) {
        const free = cluster.leases.has(partition) ? 0 : (freeFor.get(partition) ?? 0) + 1;
        freeFor.set(partition, free);
        longest = Math.max(longest, free);
      }
    }
    expect(longest).toBe(1);
    // Each hand-over is followed by a yield-take, so the pauses double (3, 6, 12, 24 s): 30 s see 2 hand-overs
    // (at 7 s and 20 s), not one a second.
    expect(cluster.handOvers).toBe(2);
  });
});
