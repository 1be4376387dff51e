/**
 * The in-process driver built with 3 partitions (the `partitions` option), on one store:
 * each partition's lease, schedule and sweep on its own child store, the port's routing parts (deployment
 * schedule view, task state, dynamic tasks, task-set declarations, worker registry) and the run queue over
 * every partition. The same cases as test/redis-partitions.e2e-spec.ts, so that both drivers keep one contract.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { LoggerService } from '@nestjs/common';
import type { ChangeNotice, CoordinationPort, ScheduleEntry } from '../src/engine/coordination.port.js';
import { LeadershipLostError } from '../src/errors/leadership-lost.error.js';
import { createMemoryCoordination } from '../src/memory/memory-coordination.js';
import { MemoryStore } from '../src/memory/memory-store.js';
import { partitionOf } from '../src/wire/partition-of.js';
import { ManualTimers } from './engine/manual-timers.js';
import { BACKOFF, outcome } from './contract/helpers.js';

const P = 3;
const TTL = 30_000;
const silent: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined };
const one = { statisticsHistoryRuns: 10, statisticsRedisExpiration: 60, partitions: 1 };
const settings = { ...one, partitions: P };

/** A fresh deployment of P partitions on a manual clock, and a function that connects a port of it. */
function deployment() {
  const timers = new ManualTimers();
  const store = new MemoryStore(timers);
  const connect = async (workerId: string) => {
    const port = createMemoryCoordination(settings, workerId, silent, store);
    await port.lifecycle.connect();
    return port;
  };
  /** `count` task ids of partition `index` (`<stem>-<n>`, the first that fall there). */
  const idsIn = (index: number, count: number, stem = 'task') => {
    const ids: string[] = [];
    for (let n = 0; ids.length < count; n++) if (partitionOf(`${stem}-${n}`, P) === index) ids.push(`${stem}-${n}`);
    return ids;
  };
  const part = (i: number) => store.partitions[i];
  return { timers, store, part, connect, idsIn };
}

function entry(taskId: string, firstSlot: number, dynamic = false): ScheduleEntry {
  return { taskId, signature: `sig ${taskId}`, firstSlot, dynamic };
}

/** The change notices a new subscriber of `port` receives while `action` runs (notices arrive as microtasks). */
async function noticesDuring(port: CoordinationPort, action: () => Promise<unknown>): Promise<ChangeNotice[]> {
  const notices: ChangeNotice[] = [];
  await port.notices.subscribe((notice) => notices.push(notice));
  await action();
  await new Promise((resolve) => setTimeout(resolve, 0));
  return notices;
}

describe('memory driver with 3 partitions', () => {
  it('one partition keeps the store whole; a store refuses a second partition count', async () => {
    const store = new MemoryStore();
    const port = createMemoryCoordination(one, 'w1', silent, store);
    expect(store.partitions).toEqual([store]);
    expect(store.isPartition).toBe(false);
    expect(port.partitions[0].leadership).toBe(port.leadership);
    expect(port.partitions[0].schedule).toBe(port.schedule);
    expect(port.partitions[0].taskSets).toBe(port.taskSets);
    expect(() => createMemoryCoordination(settings, 'w2', silent, store)).toThrow(/1 partition/);

    const split = new MemoryStore();
    createMemoryCoordination(settings, 'w1', silent, split);
    expect(split.partitions).toHaveLength(P);
    expect(split.partitions.every((part) => part.isPartition && part.workers === split.workers)).toBe(true);
    expect(() => createMemoryCoordination(one, 'w2', silent, split)).toThrow(/3 partition/);
    expect(() => createMemoryCoordination({ ...one, partitions: 0 }, 'w3', silent, new MemoryStore())).toThrow(
      RangeError,
    );
  });

  it('builds one lease, schedule and sweep per partition, and maps tasks by partitionOf', async () => {
    const { store, connect } = deployment();
    const port = await connect('w1');
    expect(port.partitions.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(new Set(port.partitions.map((p) => p.leadership)).size).toBe(P);
    expect(port.leadership).toBe(port.partitions[0].leadership);
    for (const id of ['a', 'b', 'task-17', 'é']) expect(port.partitionOf(id)).toBe(partitionOf(id, P));
    // The run queues exist in every partition.
    expect(store.partitions.map((part) => part.groupsExist)).toEqual([true, true, true]);
  });

  it('leases of two partitions are independent and fenced separately', async () => {
    const { part, connect } = deployment();
    const a = await connect('a');
    const b = await connect('b');
    const leaseA = await a.partitions[0].leadership.acquire('a', TTL);
    const leaseB = await b.partitions[2].leadership.acquire('b', TTL);
    if (!('token' in leaseA) || !('token' in leaseB)) throw new Error('both leases must be free');
    expect(part(0).leaderToken()).toBe(leaseA.token);
    expect(part(2).leaderToken()).toBe(leaseB.token);
    expect(part(1).leaderToken()).toBeNull();
    // Held in partition 2 by b: a cannot take it; a's token renews nothing there.
    expect(await a.partitions[2].leadership.acquire('a', TTL)).toMatchObject({ retryInMs: expect.any(Number) });
    expect((await a.partitions[2].leadership.renew(leaseA.token, TTL)).renewed).toBe(false);
    expect(part(2).leaderToken()).toBe(leaseB.token);
    // Each partition's leader-side operations are fenced by that partition's lease only.
    await expect(a.partitions[2].schedule.publish(leaseA.token, Date.now(), [])).rejects.toThrow(LeadershipLostError);
    await expect(a.partitions[2].taskSets.sweep(leaseA.token, 1000, '0', 10)).rejects.toThrow(LeadershipLostError);
    await expect(a.partitions[0].schedule.publish(leaseA.token, Date.now(), [])).resolves.toMatchObject({
      statuses: [],
    });
    await expect(b.partitions[0].schedule.publish(leaseB.token, Date.now(), [])).rejects.toThrow(LeadershipLostError);
    // A partition's renewal reads no worker registry (as the Redis driver's, whose registry is in another slot).
    await a.workers.announce({ id: 'a', host: 'h', pid: 1, startedAt: 1, running: 0, isLeader: false });
    expect(await a.partitions[0].leadership.renew(leaseA.token, TTL, true)).toMatchObject({
      renewed: true,
      oldestWorkerSeen: null,
    });
    // Releasing partition 0 leaves partition 2 held; partition 0 is taken again with its own next epoch.
    await a.partitions[0].leadership.release(leaseA.token);
    expect(part(0).leaderToken()).toBeNull();
    expect(part(2).leaderToken()).toBe(leaseB.token);
    expect(await b.partitions[0].leadership.acquire('b', TTL)).toMatchObject({ token: 'b|2', epoch: 2 });
    expect(part(2).epoch).toBe(1);
  });

  it('registers the schedule in each task partition, and the deployment view sums counts and pending runs', async () => {
    const { store, part, connect, idsIn } = deployment();
    const port = await connect('w1');
    const byPartition = [idsIn(0, 2), idsIn(1, 1), idsIn(2, 3)];
    const ids = [
      byPartition[2][0],
      byPartition[0][0],
      byPartition[1][0],
      ...byPartition[2].slice(1),
      byPartition[0][1],
    ];
    const slot = (id: string) => 5_000_000_000_000 + ids.indexOf(id);
    expect(await port.schedule.register(ids.map((id) => entry(id, slot(id))))).toBe(ids.length);
    expect(await port.schedule.register(ids.map((id) => entry(id, slot(id))))).toBe(0);
    for (let i = 0; i < P; i++) {
      expect(
        part(i)
          .schedule.entries()
          .map((e) => e.member),
      ).toEqual(byPartition[i]);
      for (const id of byPartition[i]) expect(part(i).schedule.score(id)).toBe(slot(id));
      expect([...part(i).signatures.keys()]).toEqual(expect.arrayContaining(byPartition[i]));
      expect(await port.partitions[i].schedule.count()).toBe(byPartition[i].length);
    }
    expect(store.schedule.size).toBe(0);
    expect(await port.schedule.count()).toBe(6);

    // Runs in two partitions' queues, one of them read by a consumer: the view sums them.
    const run = (taskId: string) => ({ taskId, slot: 1, attempt: 1, kind: 'scheduled' as const });
    part(0).enqueue(true, run(byPartition[0][0]));
    part(2).enqueue(false, run(byPartition[2][0]));
    part(2).enqueue(false, run(byPartition[2][1]));
    part(1).enqueue(false, run(byPartition[1][0]));
    const [first] = part(2).normal.queued.values();
    part(2).normal.queued.delete(first.id);
    part(2).normal.pending.set(first.id, { entry: first, consumer: 'c1', touchedAt: store.now() });
    expect(await port.partitions[2].schedule.pendingRuns()).toEqual({
      high: { queued: 0, delivered: 0 },
      normal: { queued: 1, delivered: 1 },
    });
    expect(await port.schedule.pendingRuns()).toEqual({
      high: { queued: 1, delivered: 0 },
      normal: { queued: 2, delivered: 1 },
    });
  });

  it('reads and changes task state over several partitions in the caller order, on the right stores, with one notice', async () => {
    const { store, part, connect, idsIn } = deployment();
    const port = await connect('w1');
    const [p0, p1, p2] = [idsIn(0, 2), idsIn(1, 2), idsIn(2, 2)];
    const ids = [p2[0], p0[0], p1[0], p0[1], p2[1], p1[1]];
    const slot = (id: string) => 6_000_000_000_000 + 1000 * ids.indexOf(id);
    await port.schedule.register(ids.map((id) => entry(id, slot(id))));
    const own = (id: string) => part(partitionOf(id, P));

    const disabled = [p2[0], p0[1], p1[1]];
    expect(await noticesDuring(port, () => port.state.setDisabled(disabled, true))).toHaveLength(1);
    for (const id of ids) expect(own(id).tasks.get(id)?.disabled).toBe(disabled.includes(id) ? true : undefined);
    expect(store.tasks.size).toBe(0);

    const order = [p1[1], p0[0], p2[1], p2[0], p1[0], p0[1]];
    const states = await port.state.readStates(order);
    expect(states.map((s) => s.nextRun)).toEqual(order.map(slot));
    expect(states.map((s) => s.disabled)).toEqual(order.map((id) => disabled.includes(id)));

    // A trigger queues one run per task in its partition's one-off queue, with one notice.
    const triggered = [p0[0], p2[0], p2[1]];
    expect(await noticesDuring(port, () => port.state.trigger(triggered))).toHaveLength(1);
    expect([0, 1, 2].map((i) => part(i).oneOff.size)).toEqual([1, 0, 2]);
    expect(store.oneOff.size).toBe(0);

    // Backoff reset and history clearing reach each task's own store.
    for (const id of ids) {
      Object.assign(own(id).state(id), { failures: 2, retryAfter: 1, retryDelay: 1 });
      own(id).histories.set(id, {
        records: [
          {
            id: '1-0',
            startedAt: 1,
            durationSeconds: 0,
            status: 'success',
            error: null,
            workerId: 'w1',
            scheduledAt: 1,
            attempt: 1,
            kind: 'scheduled',
            kwargs: null,
            errorStack: null,
          },
        ],
        expiresAt: Infinity,
      });
    }
    await port.state.resetRetry([p1[0], p2[1]]);
    for (const id of ids) expect(own(id).tasks.get(id)?.failures).toBe([p1[0], p2[1]].includes(id) ? undefined : 2);
    expect((await port.state.readHistory(p1[1], 10)).map((r) => r.status)).toEqual(['success']);
    await port.state.clearHistory([p0[1], p1[1], p2[0]]);
    for (const id of ids) expect(own(id).histories.has(id)).toBe(![p0[1], p1[1], p2[0]].includes(id));
    expect(await port.state.readHistory(p1[1], 10)).toEqual([]);
    expect(await port.state.readStates([])).toEqual([]);
  });

  it('routes dynamic tasks to their partition; the generation changes when any partition changes', async () => {
    const { timers, part, connect, idsIn } = deployment();
    const port = await connect('w1');
    const [a] = idsIn(0, 1, 'dyn');
    const [b] = idsIn(2, 1, 'dyn');
    const future = timers.now() + 3_600_000;
    const empty = await port.dynamicTasks.generation();
    expect(empty.split(',')).toHaveLength(P);

    expect(await port.dynamicTasks.create(a, 'def-a', entry(a, future, true))).toBe('created');
    const afterA = await port.dynamicTasks.generation();
    expect(afterA).not.toBe(empty);
    expect(await port.dynamicTasks.create(b, 'def-b', entry(b, future, true))).toBe('created');
    const afterB = await port.dynamicTasks.generation();
    expect(afterB.split(',')[0]).toBe(afterA.split(',')[0]);
    expect(afterB.split(',')[2]).not.toBe(afterA.split(',')[2]);
    expect(await port.dynamicTasks.create(b, 'def-b', entry(b, future, true))).toBe('exists');

    expect(part(0).dynamic.get(a)).toBe('def-a');
    expect(part(2).dynamic.get(b)).toBe('def-b');
    expect(part(1).dynamic.size).toBe(0);
    expect(part(2).schedule.score(b)).toBe(future);
    expect(await port.dynamicTasks.read(a)).toBe('def-a');
    expect(await port.dynamicTasks.read(b)).toBe('def-b');
    const all = await port.dynamicTasks.loadAll();
    expect(all.generation).toBe(afterB);
    expect(all.tasks).toEqual(
      expect.arrayContaining([
        { taskId: a, definition: 'def-a' },
        { taskId: b, definition: 'def-b' },
      ]),
    );
    expect(all.tasks).toHaveLength(2);

    const version = createHash('sha1').update('def-b').digest('hex');
    expect(await port.dynamicTasks.update(b, version, 'def-b2', entry(b, future, true))).toBe('updated');
    expect(await port.dynamicTasks.update(b, version, 'def-b3', entry(b, future, true))).toBe('changed');
    expect(part(2).dynamic.get(b)).toBe('def-b2');
    const afterUpdate = await port.dynamicTasks.generation();
    expect(afterUpdate).not.toBe(afterB);

    expect(await port.dynamicTasks.remove(a)).toBe('def-a');
    expect(await port.dynamicTasks.read(a)).toBeNull();
    expect(part(0).schedule.has(a)).toBe(false);
    const afterRemove = await port.dynamicTasks.generation();
    expect(afterRemove.split(',')[0]).not.toBe(afterUpdate.split(',')[0]);
    expect(afterRemove.split(',').slice(1)).toEqual(afterUpdate.split(',').slice(1));
    expect((await port.dynamicTasks.loadAll()).tasks).toEqual([{ taskId: b, definition: 'def-b2' }]);
  });

  it('lists a worker that leads partition 2 only as a leader; remove drops its task-set pointer in every partition', async () => {
    const { store, part, connect } = deployment();
    const a = await connect('a');
    const b = await connect('b');
    const info = (id: string) => ({ id, host: 'h', pid: 1, startedAt: 1, running: 0, isLeader: false });
    await a.workers.announce(info('a'));
    await b.workers.announce(info('b'));
    const leaderOf = async () => Object.fromEntries((await a.workers.list()).map((w) => [w.id, w.isLeader]));
    expect(await leaderOf()).toEqual({ a: false, b: false });
    const lease = await b.partitions[2].leadership.acquire('b', TTL);
    expect(await leaderOf()).toEqual({ a: false, b: true });
    if ('token' in lease) await b.partitions[2].leadership.release(lease.token);
    expect(await leaderOf()).toEqual({ a: false, b: false });

    await a.taskSets.declare('a', 'digest', ['x', 'y']);
    await b.taskSets.declare('b', 'digest', ['x', 'y']);
    await a.workers.remove('a');
    for (let i = 0; i < P; i++) expect([...part(i).workerTaskSets.keys()]).toEqual(['b']);
    expect(store.workers.entries().map((e) => e.member)).toEqual(['b']);
    expect([...store.workerInfo.keys()]).toEqual(['b']);
  });

  it('declares each partition its subset (empty ones too) and sweeps each partition with the two-strike rule', async () => {
    const { timers, part, connect, idsIn } = deployment();
    const a = await connect('a');
    const stale = await connect('stale');
    const kept = [...idsIn(0, 2, 'static'), ...idsIn(2, 1, 'static')];
    const sha1 = (ids: string[]) => createHash('sha1').update(ids.join('\n')).digest('hex');
    await a.workers.announce({ id: 'a', host: 'h', pid: 1, startedAt: 1, running: 0, isLeader: false });
    await a.taskSets.declare('a', sha1([...kept].sort()), kept);
    for (let i = 0; i < P; i++) {
      const subset = kept.filter((id) => partitionOf(id, P) === i).sort();
      const digest = sha1(subset);
      expect(part(i).workerTaskSets.get('a')).toBe(digest);
      expect([...part(i).taskSets.get(digest)!.ids].sort()).toEqual(subset);
    }
    expect(part(1).workerTaskSets.get('a')).toBe(sha1([]));

    // In partition 0: a's tasks, one nobody declares, and one only a worker missing from the registry declares.
    const [gone, staleOnly] = idsIn(0, 2, 'extra');
    await stale.taskSets.declare('stale', 'stale-digest', [staleOnly]);
    const later = timers.now() + 3_600_000;
    await a.schedule.register([...kept, gone, staleOnly].map((id) => entry(id, later)));
    const lease = await a.partitions[0].leadership.acquire('a', TTL);
    if (!('token' in lease)) throw new Error('partition 0 must be free');
    const sweep = (token = lease.token, grace = 200) => a.partitions[0].taskSets.sweep(token, grace, '0', 100);
    const scheduled = () =>
      part(0)
        .schedule.entries()
        .map((e) => e.member)
        .sort();
    const pointers = () => [...part(0).workerTaskSets.keys()].sort();
    const orphans = () => [...part(0).orphans.keys()];

    // First strike: stale's pointer is kept (its owner may have announced itself since the read).
    expect(await sweep()).toEqual({ cursor: '0', removed: [] });
    expect(pointers()).toEqual(['a', 'stale']);
    expect(orphans()).toEqual([gone]);
    // A new term starts over: still the first strike.
    await a.partitions[0].leadership.release(lease.token);
    const next = await a.partitions[0].leadership.acquire('a', TTL);
    if (!('token' in next)) throw new Error('partition 0 must be free');
    await timers.advance(250);
    expect(await sweep(next.token)).toEqual({ cursor: '0', removed: [gone] });
    expect(pointers()).toEqual(['a', 'stale']);
    // Second strike in the same term: the pointer is dropped, and its task is noted, then removed after grace.
    expect(await sweep(next.token)).toEqual({ cursor: '0', removed: [] });
    expect(pointers()).toEqual(['a']);
    expect(orphans()).toEqual([staleOnly]);
    await timers.advance(250);
    expect(await sweep(next.token)).toEqual({ cursor: '0', removed: [staleOnly] });
    expect(scheduled()).toEqual(kept.filter((id) => partitionOf(id, P) === 0).sort());
    // The other partitions are untouched by partition 0's sweep.
    expect(
      part(2)
        .schedule.entries()
        .map((e) => e.member),
    ).toEqual(kept.filter((id) => partitionOf(id, P) === 2));
    expect([gone, staleOnly].map((id) => part(0).signatures.has(id))).toEqual([false, false]);
    // A live worker that has declared nothing in the partition (yet): nothing is noted or removed.
    const [late] = idsIn(0, 1, 'late');
    await a.schedule.register([entry(late, later)]);
    await a.workers.announce({ id: 'newcomer', host: 'h', pid: 2, startedAt: 1, running: 0, isLeader: false });
    expect(await sweep(next.token)).toEqual({ cursor: '0', removed: [] });
    expect(orphans()).toEqual([]);
  });

  it('reads every partition high first from a rotating start, and starts, renews and completes each run in its partition', async () => {
    const { store, part, connect, idsIn } = deployment();
    const port = await connect('w1');
    const [t0, t1, t2] = [idsIn(0, 1)[0], idsIn(1, 1)[0], idsIn(2, 1)[0]];
    const run = (taskId: string) => ({ taskId, slot: 1, attempt: 1, kind: 'scheduled' as const });
    part(0).enqueue(false, run(t0));
    part(1).enqueue(false, run(t1));
    part(2).enqueue(true, run(t2));
    part(1).enqueue(true, run(t1));
    // High before normal across partitions; message ids unique across partitions.
    const firstRead = await port.runs.read('c1', 3, 0);
    expect(firstRead.map((r) => [r.taskId, r.highPriority])).toEqual([
      [t1, true],
      [t2, true],
      [t0, false],
    ]);
    expect(new Set(firstRead.map((r) => r.messageId)).size).toBe(3);
    // The next pass starts at partition 1: its queued normal run comes first.
    part(0).enqueue(false, run(t0));
    expect((await port.runs.read('c1', 1, 0)).map((r) => r.taskId)).toEqual([t1]);
    expect((await port.runs.read('c1', 1, 0)).map((r) => r.taskId)).toEqual([t0]);

    // A blocked read wakes on an enqueue in any partition.
    const blocked = port.runs.read('c1', 10, 0);
    part(2).enqueue(false, run(t2));
    expect((await blocked).map((r) => r.taskId)).toEqual([t2]);

    // Start, renew and complete reach the run's partition.
    const [high2] = firstRead.filter((r) => r.taskId === t2);
    expect(await port.runs.start('c1', [{ run: high2, allowParallel: false, dynamic: false }], TTL)).toEqual(['start']);
    expect(part(2).tasks.get(t2)?.runningBy).toBeDefined();
    const worker = { id: 'c1', host: 'h', pid: 1, startedAt: 1, running: 1, isLeader: false };
    expect(await port.runs.renew(worker, [{ run: high2, started: true }], TTL)).toMatchObject({
      lost: [],
      vanished: [],
    });
    expect(store.workers.has('c1')).toBe(true);
    expect(await port.runs.complete('c1', high2, outcome('success'), BACKOFF)).toBe('recorded');
    expect(part(2).high.pending.size).toBe(0);
    expect(part(2).histories.get(t2)?.records).toHaveLength(1);
    expect(store.histories.size).toBe(0);

    // A wipe clears every partition; the next read recreates every partition's queues.
    store.clear();
    expect(store.partitions.every((p) => !p.groupsExist && p.normal.queued.size === 0)).toBe(true);
    expect(await port.runs.read('c1', 10, 1)).toEqual([]);
    expect(store.partitions.every((p) => p.groupsExist)).toBe(true);
  });
});
