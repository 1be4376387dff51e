import { expect } from 'vitest';
import type { CoordinationPort } from '../../src/engine/coordination.port.js';
import { LeadershipLostError } from '../../src/errors/leadership-lost.error.js';
import { partitionOf } from '../../src/wire/partition-of.js';
import { BACKOFF, dueOf, itemFor, LONG_TTL, outcome, readRuns, scheduleAt, type ContractContext } from './helpers.js';

/** Task ids of every shape: plain, empty, non-ASCII, long, many alike. */
const TASK_IDS = [
  'g/t',
  '',
  'grüße/タスク',
  `g/${'x'.repeat(2000)}`,
  ...Array.from({ length: 200 }, (_, i) => `g/t-${i}`),
];

/** The partitions of the port: one, whose parts are the port's own lease, schedule and sweep. */
export function partitionsContract(ctx: ContractContext): void {
  const { it } = ctx;
  it('one partition: partition 0 holds every task and its parts are the port’s own lease, schedule and sweep', async () => {
    const { port } = ctx;
    const peer = await ctx.harness.peer('peer');
    expect(port.partitions).toHaveLength(1);
    const [partition] = port.partitions;
    expect(partition.index).toBe(0);
    expect(TASK_IDS.map((id) => port.partitionOf(id))).toEqual(TASK_IDS.map(() => 0));
    expect(TASK_IDS.map((id) => peer.partitionOf(id))).toEqual(TASK_IDS.map(() => 0));

    // The lease: taken through partition 0, held against the port's (and the peer's partition 0).
    const acquired = await partition.leadership.acquire('leader', 30_000);
    if (!('token' in acquired)) throw new Error('partition 0 could not be led');
    const { token } = acquired;
    expect(await peer.leadership.acquire('other', 30_000)).toHaveProperty('retryInMs');
    expect(await peer.partitions[0].leadership.acquire('other', 30_000)).toHaveProperty('retryInMs');
    expect((await port.leadership.renew(token, 30_000)).renewed).toBe(true);

    // The schedule: registered through the port, due and published through partition 0, and back.
    await scheduleAt(port, 'g/t', Date.now() - 1000);
    expect(await partition.schedule.count()).toBe(1);
    const due = (await partition.schedule.fetchDue(Date.now(), 10)).find((d) => d.taskId === 'g/t');
    expect(due).toEqual(await dueOf(port, 'g/t'));
    expect((await partition.schedule.publish(token, Date.now(), [itemFor(due!)])).statuses).toEqual(['published']);
    expect((await port.schedule.pendingRuns()).normal.queued).toBe(1);
    expect(await peer.partitions[0].schedule.peekEarliest()).toBe(due!.slot + 60_000);

    // The sweep: partition 0's is fenced by the lease the port's leadership released.
    await port.leadership.release(token);
    await expect(partition.taskSets.sweep(token, 0, '0', 100)).rejects.toBeInstanceOf(LeadershipLostError);
    expect(await port.schedule.count()).toBe(1);
  });
}

/** `count` task ids of partition `index` of `port` (`<stem>-<n>`, the first that fall there). */
function idsIn(port: CoordinationPort, index: number, count: number, stem = 'g/t'): string[] {
  const ids: string[] = [];
  for (let n = 0; ids.length < count; n++) if (port.partitionOf(`${stem}-${n}`) === index) ids.push(`${stem}-${n}`);
  return ids;
}

/** Leads partition `index` of `port` as `workerId`; returns the token. */
async function leadPartition(port: CoordinationPort, index: number, workerId: string): Promise<string> {
  const result = await port.partitions[index].leadership.acquire(workerId, LONG_TTL);
  if (!('token' in result)) throw new Error(`${workerId} could not lead partition ${index}`);
  return result.token;
}

/** Publishes the run of `taskId`, due now, through partition `index`'s leader `token`. */
async function publishIn(port: CoordinationPort, index: number, token: string, taskId: string) {
  const due = (await port.partitions[index].schedule.fetchDue(Date.now(), 1000)).find((d) => d.taskId === taskId);
  if (!due) throw new Error(`${taskId} is not due in partition ${index}`);
  return (await port.partitions[index].schedule.publish(token, Date.now(), [itemFor(due)])).statuses;
}

/**
 * Three partitions (a harness built with `partitions: 3`): each partition's lease, schedule and sweep on its
 * own, and the port's routing of the rest. Port calls only, so that every driver runs it unchanged.
 */
export function threePartitionsContract(ctx: ContractContext): void {
  const { it } = ctx;
  it('three partitions: every task maps to one, the same for every instance, by the wire rule', async () => {
    const { port } = ctx;
    const peer = await ctx.harness.peer('peer');
    expect(port.partitions.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(port.leadership).toBe(port.partitions[0].leadership);
    expect(TASK_IDS.map((id) => port.partitionOf(id))).toEqual(TASK_IDS.map((id) => partitionOf(id, 3)));
    expect(TASK_IDS.map((id) => peer.partitionOf(id))).toEqual(TASK_IDS.map((id) => partitionOf(id, 3)));
  });

  it('three partitions: leases are independent and each fences only its partition; a publish changes only its own', async () => {
    const { port } = ctx;
    const peer = await ctx.harness.peer('peer');
    const [t0] = idsIn(port, 0, 1);
    const [t2] = idsIn(port, 2, 1);
    const a = await leadPartition(port, 0, 'a');
    const b = await leadPartition(peer, 2, 'b');
    expect(await port.partitions[2].leadership.acquire('a', LONG_TTL)).toHaveProperty('retryInMs');
    expect((await port.partitions[2].leadership.renew(a, LONG_TTL)).renewed).toBe(false);
    expect((await peer.partitions[2].leadership.renew(b, LONG_TTL)).renewed).toBe(true);
    await expect(port.partitions[2].schedule.publish(a, Date.now(), [])).rejects.toBeInstanceOf(LeadershipLostError);
    await expect(port.partitions[2].taskSets.sweep(a, 0, '0', 10)).rejects.toBeInstanceOf(LeadershipLostError);
    await expect(peer.partitions[0].schedule.publish(b, Date.now(), [])).rejects.toBeInstanceOf(LeadershipLostError);

    await scheduleAt(port, t0, Date.now() - 1000);
    await scheduleAt(port, t2, Date.now() - 1000);
    expect(await Promise.all(port.partitions.map((p) => p.schedule.count()))).toEqual([1, 0, 1]);
    expect(await port.schedule.count()).toBe(2);
    expect(await publishIn(port, 0, a, t0)).toEqual(['published']);
    expect((await port.partitions[0].schedule.pendingRuns()).normal.queued).toBe(1);
    expect((await port.partitions[2].schedule.pendingRuns()).normal.queued).toBe(0);
    expect((await port.partitions[2].schedule.fetchDue(Date.now(), 10)).map((d) => d.taskId)).toEqual([t2]);
    // Releasing partition 0 leaves partition 2 led.
    await port.partitions[0].leadership.release(a);
    expect((await peer.partitions[2].leadership.renew(b, LONG_TTL)).renewed).toBe(true);
    expect(await publishIn(peer, 2, b, t2)).toEqual(['published']);
    expect((await port.schedule.pendingRuns()).normal.queued).toBe(2);
  });

  it('three partitions: each lease reports its own holder, to every instance', async () => {
    const { port } = ctx;
    const peer = await ctx.harness.peer('peer');
    const holders = (of: CoordinationPort) => Promise.all(of.partitions.map((p) => p.leadership.holder()));
    expect(await holders(port)).toEqual([null, null, null]);
    const a = await leadPartition(port, 0, 'a');
    const b = await leadPartition(peer, 2, 'b');
    expect(await holders(port)).toEqual([a, null, b]);
    expect(await holders(peer)).toEqual([a, null, b]);
    await port.partitions[0].leadership.release(a);
    expect(await holders(peer)).toEqual([null, null, b]);
  });

  it('three partitions: a run is read, started, renewed and completed through its partition', async () => {
    const { port } = ctx;
    const ids = [idsIn(port, 1, 1)[0], idsIn(port, 2, 1)[0]];
    const tokens = [await leadPartition(port, 1, 'leader'), await leadPartition(port, 2, 'leader')];
    for (const id of ids) await scheduleAt(port, id, Date.now() - 1000);
    expect(await publishIn(port, 1, tokens[0], ids[0])).toEqual(['published']);
    expect(await publishIn(port, 2, tokens[1], ids[1])).toEqual(['published']);
    const runs = await readRuns(port, 'c1');
    expect(runs.map((r) => r.taskId).sort()).toEqual([...ids].sort());
    const starts = await port.runs.start(
      'c1',
      runs.map((run) => ({ run, allowParallel: false, dynamic: false })),
      LONG_TTL,
    );
    expect(starts).toEqual(['start', 'start']);
    const worker = { id: 'c1', host: 'h', pid: 1, startedAt: 1, running: 2, isLeader: false };
    const beat = await port.runs.renew(
      worker,
      runs.map((run) => ({ run, started: true })),
      LONG_TTL,
    );
    expect(beat).toMatchObject({ lost: [], vanished: [] });
    for (const run of runs) expect(await port.runs.complete('c1', run, outcome('success'), BACKOFF)).toBe('recorded');
    expect(await port.schedule.pendingRuns()).toEqual({
      high: { queued: 0, delivered: 0 },
      normal: { queued: 0, delivered: 0 },
    });
    for (const id of ids) expect((await port.state.readHistory(id, 10)).map((r) => r.status)).toEqual(['success']);
  });

  it('three partitions: states, triggers and dynamic tasks over every partition, in the caller order', async () => {
    const { port } = ctx;
    const [p0, p1, p2] = [idsIn(port, 0, 1)[0], idsIn(port, 1, 1)[0], idsIn(port, 2, 1)[0]];
    const order = [p2, p0, p1];
    const base = Date.now() + 3_600_000;
    const slot = (id: string) => base + 1000 * order.indexOf(id);
    for (const id of order) await scheduleAt(port, id, slot(id));
    await port.state.setDisabled([p1], true);
    const states = await port.state.readStates(order);
    expect(states.map((s) => s.nextRun)).toEqual(order.map(slot));
    expect(states.map((s) => s.disabled)).toEqual([false, false, true]);
    await port.state.trigger([p0, p2]);
    const oneOffs = await Promise.all(
      port.partitions.map(async (p) =>
        (await p.schedule.fetchDue(Date.now() + 1000, 10)).filter((d) => d.source === 'oneOff').map((d) => d.taskId),
      ),
    );
    expect(oneOffs).toEqual([[p0], [], [p2]]);

    const [d0] = idsIn(port, 0, 1, 'dyn');
    const [d2] = idsIn(port, 2, 1, 'dyn');
    const entry = (taskId: string) => ({ taskId, signature: 's', firstSlot: Date.now() + 60_000, dynamic: true });
    const empty = await port.dynamicTasks.generation();
    expect(await port.dynamicTasks.create(d0, 'def-0', entry(d0))).toBe('created');
    const afterD0 = await port.dynamicTasks.generation();
    expect(afterD0).not.toBe(empty);
    expect(await port.dynamicTasks.create(d2, 'def-2', entry(d2))).toBe('created');
    const all = await port.dynamicTasks.loadAll();
    expect(all.generation).not.toBe(afterD0);
    expect(all.generation).toBe(await port.dynamicTasks.generation());
    expect(all.tasks.map((t) => t.taskId).sort()).toEqual([d0, d2].sort());
    expect(await port.dynamicTasks.read(d2)).toBe('def-2');
    expect((await port.partitions[2].schedule.fetchDue(Date.now() + 120_000, 10)).map((d) => d.taskId)).toContain(d2);
  });

  it('three partitions: a worker listed as leader holds any lease; a task-set pointer of a worker missing from the registry is dropped at the second step of a term', async () => {
    const { port } = ctx;
    const stale = await ctx.harness.peer('stale');
    const info = { id: 'a', host: 'h', pid: 1, startedAt: 1, running: 0, isLeader: false };
    await port.workers.announce(info);
    const token = await leadPartition(port, 2, 'a');
    expect((await port.workers.list()).map((w) => [w.id, w.isLeader])).toEqual([['a', true]]);
    await port.partitions[2].leadership.release(token);

    const [kept, gone, staleOnly] = idsIn(port, 0, 3, 'static');
    await port.taskSets.declare('a', 'set-a', [kept]);
    await stale.taskSets.declare('stale', 'set-stale', [staleOnly]);
    for (const id of [kept, gone, staleOnly]) await scheduleAt(port, id, Date.now() + 3_600_000);
    const lead0 = await leadPartition(port, 0, 'a');
    const sweep = () => port.partitions[0].taskSets.sweep(lead0, 0, '0', 100);
    // First step: stale's pointer still counts (its owner may have announced itself since the registry was read).
    expect(await sweep()).toEqual({ cursor: '0', removed: [] });
    // Second step of the term: it is dropped, so its task is noted now and removed one step later.
    expect(await sweep()).toEqual({ cursor: '0', removed: [gone] });
    expect(await sweep()).toEqual({ cursor: '0', removed: [staleOnly] });
    expect(await port.partitions[0].schedule.count()).toBe(1);
  });
}
