/**
 * The worker watch of an instance of a deployment of several partitions, alone on fake time: its reads of the
 * workers' last-seen times feed the live count (itself and the fresh others that did not say they leave), the
 * led partitions' dead-worker checks and the hand-overs (at periodic reads only), and it survives a failed read.
 */
import { describe, expect, it } from 'vitest';
import { ClusterClock } from '../../src/engine/cluster-clock.js';
import type { ChangeNotice, WorkerSeen } from '../../src/engine/coordination.port.js';
import { LeaseBalancer } from '../../src/engine/lease-balancer.js';
import type { PartitionLeader } from '../../src/engine/partition-leader.js';
import { WorkerWatch } from '../../src/engine/worker-watch.js';
import { silent } from './engine-harness.js';
import { ManualTimers } from './manual-timers.js';

const INTERVAL = 2000;
const SILENT = 1500;
const GAP = 1000;

/** A partition leader as the watch sees it: whether it leads, what its reconciler and elector were told. */
function fakeLeader(isLeader: boolean) {
  const told = { oldest: [] as Array<number | null>, reconsidered: 0, handedOver: [] as string[] };
  let handOverAnswer = true;
  const leader = {
    isLeader,
    reconciler: { noteOldestWorker: (seen: number | null) => void told.oldest.push(seen) },
    elector: {
      reconsider: () => void told.reconsidered++,
      handOver: async (reason: string) => {
        told.handedOver.push(reason);
        leader.isLeader = false;
        return handOverAnswer;
      },
    },
  };
  return { leader, told, failHandOver: () => (handOverAnswer = false) };
}

function setup(partitions: number, led: number[]) {
  const timers = new ManualTimers(100_000);
  const clock = new ClusterClock(timers);
  const balancer = new LeaseBalancer({ partitions, minHoldMs: 0, yieldMs: 1000 });
  for (const p of led) {
    balancer.reserve(p);
    balancer.settle(p, true, 0);
  }
  const leaders = Array.from({ length: partitions }, (_, p) => fakeLeader(led.includes(p)));
  /** Each worker and how long ago it was seen, at the time of each read. */
  let workers: Array<[string, number]> = [];
  let reads = 0;
  let failing = false;
  const published: ChangeNotice[] = [];
  const watch = new WorkerWatch(
    {
      workers: {
        lastSeen: async () => {
          reads++;
          if (failing) throw new Error('connection refused');
          return workers.map(([id, ago]): WorkerSeen => ({ id, lastSeen: timers.now() - ago }));
        },
      },
      notices: { publish: async (notice) => void published.push(notice) },
      balancer,
      leaders: () => leaders.map((l) => l.leader as unknown as PartitionLeader),
      workerId: 'me',
      clock,
      timers,
      logger: silent,
    },
    { intervalMs: INTERVAL, refreshGapMs: GAP, workerSilentMs: SILENT },
  );
  return {
    timers,
    balancer,
    leaders,
    watch,
    published,
    reads: () => reads,
    see: (list: Array<[string, number]>) => (workers = list),
    fail: (on: boolean) => (failing = on),
  };
}

describe('WorkerWatch', () => {
  it('reads once before start() returns, then every interval', async () => {
    const { timers, watch, reads, balancer, see } = setup(6, []);
    see([
      ['me', 0],
      ['b', 100],
    ]);
    await watch.start();
    expect(reads()).toBe(1);
    expect(balancer.target).toBe(3); // known before any elector asks
    await timers.advance(INTERVAL * 3);
    expect(reads()).toBe(4);
    watch.stop();
    await timers.advance(INTERVAL * 3);
    expect(reads()).toBe(4);
  });

  it('counts itself whatever its own time, and the fresh others that did not say they leave', async () => {
    const { watch, balancer, see } = setup(6, []);
    see([
      ['me', 9000], // its own beats lag: still counted
      ['b', 100],
      ['c', SILENT + 1], // silent
      ['d', 200],
    ]);
    await watch.start();
    expect(balancer.target).toBe(2); // me, b, d
    watch.leaving('d');
    await watch.check();
    expect(balancer.target).toBe(3); // me, b
    watch.stop();
  });

  it('forgets a leaver once it is no longer listed (a new worker of that id would count again)', async () => {
    const { watch, balancer, see } = setup(6, []);
    see([
      ['me', 0],
      ['b', 0],
    ]);
    await watch.start();
    watch.leaving('b');
    await watch.check();
    expect(balancer.target).toBe(6);
    see([['me', 0]]);
    await watch.check();
    see([
      ['me', 0],
      ['b', 0],
    ]);
    await watch.check();
    expect(balancer.target).toBe(3);
    watch.stop();
  });

  it("tells only the partitions led here of the oldest worker's time", async () => {
    const { watch, leaders, see, timers } = setup(3, [1]);
    see([
      ['x', 5000],
      ['me', 0],
    ]);
    await watch.start();
    expect(leaders.map((l) => l.told.oldest)).toEqual([[], [timers.now() - 5000], []]);
    watch.stop();
  });

  it('hands a lease over at the second periodic read over its share, says which, and not at other reads', async () => {
    const { timers, watch, leaders, published, see } = setup(6, [0, 1, 2, 3]);
    see([
      ['me', 0],
      ['b', 0],
    ]);
    await watch.start(); // over its share (3): the start's read does not count toward the two
    watch.leaving('nobody');
    await watch.check(); // nor an asked-for one
    expect(leaders.flatMap((l) => l.told.handedOver)).toEqual([]);
    await timers.advance(INTERVAL); // first periodic read over the share
    expect(leaders.flatMap((l) => l.told.handedOver)).toEqual([]);
    await timers.advance(INTERVAL); // second: the one held the shortest time (ties: the highest index)
    expect(leaders[3].told.handedOver).toHaveLength(1);
    expect(leaders[3].told.handedOver[0]).toMatch(
      /handing partition 3 over: it leads 4 partition leases, its share is 3/,
    );
    expect(published).toEqual([{ type: 'lease-handed-over', origin: 'me', partition: 3 }]);
    watch.stop();
  });

  it('says nothing when the hand-over did not release the lease', async () => {
    const { timers, watch, leaders, published, see } = setup(2, [0, 1]);
    see([
      ['me', 0],
      ['b', 0],
    ]);
    leaders[1].failHandOver();
    await watch.start();
    await timers.advance(INTERVAL * 2);
    expect(leaders[1].told.handedOver).toHaveLength(1);
    expect(published).toEqual([]);
    watch.stop();
  });

  it('asks the electors to reconsider only when its share leaves room', async () => {
    const { watch, leaders, see } = setup(6, [0, 1]);
    see([
      ['me', 0],
      ['b', 0],
      ['c', 0],
    ]);
    await watch.start(); // share 2, holds 2: no room
    expect(leaders[4].told.reconsidered).toBe(0);
    see([
      ['me', 0],
      ['b', 0],
    ]);
    await watch.check(); // share 3: room
    expect(leaders[4].told.reconsidered).toBe(1);
    watch.stop();
  });

  it('a refresh reads unless the last read began less than the gap ago', async () => {
    const { timers, watch, reads } = setup(6, []);
    await watch.start();
    watch.refresh();
    await timers.advance(GAP - 1);
    watch.refresh();
    await timers.settle();
    expect(reads()).toBe(1);
    await timers.advance(1);
    watch.refresh();
    await timers.settle();
    expect(reads()).toBe(2);
    watch.stop();
  });

  it('survives a failed read (Redis unreachable): the live count stays, the next read goes on', async () => {
    const { timers, watch, balancer, see, fail, reads } = setup(6, []);
    see([
      ['me', 0],
      ['b', 0],
    ]);
    await watch.start();
    fail(true);
    await timers.advance(INTERVAL);
    expect(balancer.target).toBe(3);
    fail(false);
    see([['me', 0]]);
    await timers.advance(INTERVAL);
    expect(reads()).toBe(3);
    expect(balancer.target).toBe(6);
    watch.stop();
  });
});
