import { expect } from 'vitest';
import {
  BACKOFF,
  CONTRACT_TESTS,
  deliver,
  dueOf,
  itemFor,
  lead,
  LONG_TTL,
  outcome,
  publishScheduled,
  readRuns,
  scheduleAt,
  SHORT_TTL,
  sleep,
  startOne,
  stateOf,
  worker,
  type ContractContext,
} from './helpers.js';

/** Reading runs (priority, blocking), start decisions, leases, heartbeats and recovery. */
export function runQueueContract(ctx: ContractContext): void {
  const { it } = ctx;
  it('delivers high-priority runs before normal ones, at most `count` per priority', async () => {
    const token = await lead(ctx.port);
    await publishScheduled(ctx.port, token, 'g/n1');
    await publishScheduled(ctx.port, token, 'g/n2');
    await publishScheduled(ctx.port, token, 'g/h1', { highPriority: true });
    await publishScheduled(ctx.port, token, 'g/h2', { highPriority: true });
    const first = await ctx.port.runs.read('c1', 1, 50);
    expect(first.map((r) => [r.taskId, r.highPriority])).toEqual([['g/h1', true]]);
    const rest = await ctx.port.runs.read('c1', 10, 50);
    expect(rest.map((r) => r.taskId)).toEqual(['g/h2', 'g/n1', 'g/n2']);
    expect(rest.map((r) => r.highPriority)).toEqual([true, false, false]);
    // Each run is delivered once.
    expect(await readRuns(ctx.port, 'c2')).toEqual([]);
  });

  it(CONTRACT_TESTS.blockedReadPriority, async () => {
    const token = await lead(ctx.port);
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
    const pending = ctx.port.runs.read('c1', 1, 5000);
    await sleep(50);
    const slot = Date.now() - 5000;
    const items = [];
    for (const [taskId, highPriority] of [
      ['g/n1', false],
      ['g/n2', false],
      ['g/h1', true],
      ['g/h2', true],
    ] as const) {
      await scheduleAt(ctx.port, taskId, slot);
      items.push(itemFor((await dueOf(ctx.port, taskId, slot))!, { highPriority }));
    }
    expect((await ctx.port.schedule.publish(token, Date.now(), items)).statuses).toEqual(Array(4).fill('published'));
    const first = await pending;
    expect(first[0]).toMatchObject({ taskId: 'g/h1', highPriority: true });
    expect(first.filter((r) => r.highPriority)).toHaveLength(1);
    expect(first.filter((r) => !r.highPriority).length).toBeLessThanOrEqual(1);
    const all = [...first, ...(await readRuns(ctx.port, 'c1')), ...(await readRuns(ctx.port, 'c1'))];
    expect(all.map((r) => r.taskId).sort()).toEqual(['g/h1', 'g/h2', 'g/n1', 'g/n2']);
  });

  it('a blocked read returns as soon as a run is published', async () => {
    const token = await lead(ctx.port);
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
    const started = Date.now();
    const pending = ctx.port.runs.read('c1', 10, 5000);
    await sleep(100);
    await publishScheduled(ctx.port, token, 'g/t');
    const runs = await pending;
    expect(runs.map((r) => r.taskId)).toEqual(['g/t']);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a read with nothing to deliver returns no run after about blockMs', async () => {
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
    const started = Date.now();
    expect(await ctx.port.runs.read('c1', 10, 300)).toEqual([]);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2000);
  });

  it('interrupt ends a pending blocking read promptly', async () => {
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
    const pending = ctx.port.runs.read('c1', 10, 10_000).then(
      () => 'settled',
      () => 'settled',
    );
    await sleep(100);
    const started = Date.now();
    ctx.port.runs.interrupt();
    expect(await Promise.race([pending, sleep(2000).then(() => 'still blocked')])).toBe('settled');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('start: marks the run running for the lease TTL', async () => {
    const token = await lead(ctx.port);
    const run = await deliver(ctx.port, token, 'g/t', 'c1');
    const before = Date.now();
    expect(await startOne(ctx.port, 'c1', run, { leaseTtlMs: 5000 })).toBe('start');
    const { runningUntil } = await stateOf(ctx.port, 'g/t');
    expect(runningUntil).toBeGreaterThanOrEqual(before + 5000 - 50);
    expect(runningUntil).toBeLessThanOrEqual(Date.now() + 5000 + 50);
  });

  it('start "busy" (allowParallel false, marker held by a live run): re-queued as a one-off a second later', async () => {
    const token = await lead(ctx.port);
    const slot = Date.now() - 2000;
    await publishScheduled(ctx.port, token, 'g/t', { slot, slots: [slot, slot + 1000], kind: 'misfire' });
    const [a, b] = await readRuns(ctx.port, 'c1');
    const before = Date.now();
    const decisions = await ctx.port.runs.start(
      'c1',
      [
        { run: a, allowParallel: false, dynamic: false },
        { run: b, allowParallel: false, dynamic: false },
      ],
      LONG_TTL,
    );
    expect(decisions).toEqual(['start', 'busy']);
    expect(await dueOf(ctx.port, 'g/t', before + 900, 'oneOff')).toBeUndefined();
    expect(await dueOf(ctx.port, 'g/t', Date.now() + 1000, 'oneOff')).toMatchObject({
      slot: slot + 1000,
      attempt: 1,
      kind: 'misfire',
    });
    // The busy run is no longer this worker's.
    expect(await ctx.port.runs.complete('c1', b, outcome('success'), BACKOFF)).toBe('lost');
    expect(await ctx.port.runs.complete('c1', a, outcome('success'), BACKOFF)).toBe('recorded');
  });

  it('start after the marker was released or lapsed: starts', async () => {
    const token = await lead(ctx.port);
    const slot = Date.now() - 3000;
    await publishScheduled(ctx.port, token, 'g/t', { slot, slots: [slot, slot + 1000, slot + 2000] });
    const [a, b, c] = await readRuns(ctx.port, 'c1');
    const serial = { allowParallel: false } as const;
    expect(await startOne(ctx.port, 'c1', a, serial)).toBe('start');
    await ctx.port.runs.complete('c1', a, outcome('success'), BACKOFF);
    expect(await startOne(ctx.port, 'c1', b, { ...serial, leaseTtlMs: 100 })).toBe('start');
    await sleep(150);
    expect(await startOne(ctx.port, 'c1', c, serial)).toBe('start');
  });

  it('start "deleted": a run of a dynamic task deleted meanwhile is dropped', async () => {
    const token = await lead(ctx.port);
    const entry = { taskId: 'g/dyn', signature: 's', firstSlot: Date.now() - 1000, dynamic: true };
    expect(await ctx.port.dynamicTasks.create('g/dyn', '{"name":"dyn"}', entry)).toBe(true);
    const due = (await dueOf(ctx.port, 'g/dyn'))!;
    await ctx.port.schedule.publish(token, Date.now(), [
      {
        due,
        nextSlot: due.slot + 60_000,
        slots: [due.slot],
        highPriority: false,
        allowParallel: true,
        attempt: 1,
        kind: 'scheduled',
      },
    ]);
    const [run] = await readRuns(ctx.port, 'c1');
    await ctx.port.dynamicTasks.remove('g/dyn');
    expect(await startOne(ctx.port, 'c1', run, { dynamic: true })).toBe('deleted');
    expect(await ctx.port.runs.renew(worker('c1'), [{ run, started: false }], LONG_TTL)).toEqual([0]);
  });

  it('recovery: an expired lease is re-published once; the old holder finds the run lost', async () => {
    const token = await lead(ctx.port);
    const run = await deliver(ctx.port, token, 'g/t', 'c1', { highPriority: true, attempt: 2, kind: 'retry' });
    await sleep(SHORT_TTL + 100);
    expect(await ctx.port.schedule.reclaimExpired(token, SHORT_TTL, 10)).toEqual(['g/t']);
    expect(await ctx.port.schedule.reclaimExpired(token, SHORT_TTL, 10)).toEqual([]);
    // (The engine starts with the same lease TTL it renews with.)
    expect(await startOne(ctx.port, 'c1', run, { leaseTtlMs: SHORT_TTL })).toBe('lost');
    expect(await ctx.port.runs.renew(worker('c1'), [{ run, started: true }], SHORT_TTL)).toEqual([0]);
    expect(await ctx.port.runs.complete('c1', run, outcome('success'), BACKOFF)).toBe('lost');
    const [again] = await readRuns(ctx.port, 'c2');
    expect(again).toMatchObject({ taskId: 'g/t', slot: run.slot, attempt: 2, kind: 'retry', highPriority: true });
    expect(again.messageId).not.toBe(run.messageId);
    expect(await startOne(ctx.port, 'c2', again)).toBe('start');
    expect(await ctx.port.runs.complete('c2', again, outcome('success'), BACKOFF)).toBe('recorded');
    expect(await ctx.port.state.readHistory('g/t', 10)).toHaveLength(1);
  });

  it('recovery never takes a run before its TTL, nor a run whose lease is renewed', async () => {
    const token = await lead(ctx.port);
    const fresh = await deliver(ctx.port, token, 'g/fresh', 'c1');
    expect(await ctx.port.schedule.reclaimExpired(token, SHORT_TTL, 10)).toEqual([]);
    await ctx.port.runs.discard(fresh);
    const kept = await deliver(ctx.port, token, 'g/kept', 'c1');
    const queued = await deliver(ctx.port, token, 'g/queued', 'c1');
    expect(await startOne(ctx.port, 'c1', kept, { leaseTtlMs: SHORT_TTL })).toBe('start');
    // Published but not delivered: waits for a worker, however long; it has no lease to expire.
    await publishScheduled(ctx.port, token, 'g/waiting');
    // Two TTLs long, heartbeats every third of a TTL: for a started run and for a delivered, not started one.
    for (let i = 0; i < 6; i++) {
      await sleep(SHORT_TTL / 3);
      const held = [
        { run: kept, started: true },
        { run: queued, started: false },
      ];
      expect(await ctx.port.runs.renew(worker('c1', 1), held, SHORT_TTL)).toEqual([]);
      expect(await ctx.port.schedule.reclaimExpired(token, SHORT_TTL, 10)).toEqual([]);
    }
    expect((await readRuns(ctx.port, 'c2')).map((r) => r.taskId)).toEqual(['g/waiting']);
    expect(await ctx.port.runs.complete('c1', kept, outcome('success'), BACKOFF)).toBe('recorded');
    expect(await startOne(ctx.port, 'c1', queued)).toBe('start');
  });

  it('recovery moves the in-flight mark to the re-published run (allowParallel false stays gated)', async () => {
    const token = await lead(ctx.port);
    await deliver(ctx.port, token, 'g/t', 'c1', { allowParallel: false });
    await sleep(SHORT_TTL + 100);
    expect(await ctx.port.schedule.reclaimExpired(token, SHORT_TTL, 10)).toEqual(['g/t']);
    expect(await publishScheduled(ctx.port, token, 'g/t', { allowParallel: false })).toBe('busy');
    const [again] = await readRuns(ctx.port, 'c2');
    expect(await startOne(ctx.port, 'c2', again, { allowParallel: false })).toBe('start');
    await ctx.port.runs.complete('c2', again, outcome('success'), BACKOFF);
    expect(await publishScheduled(ctx.port, token, 'g/t', { allowParallel: false })).toBe('published');
  });

  it('renew: extends the running marker and refreshes the worker registry', async () => {
    const token = await lead(ctx.port);
    const run = await deliver(ctx.port, token, 'g/t', 'c1');
    expect(await startOne(ctx.port, 'c1', run, { leaseTtlMs: SHORT_TTL })).toBe('start');
    const before = Date.now();
    expect(await ctx.port.runs.renew(worker('c1', 1), [{ run, started: true }], 10_000)).toEqual([]);
    expect((await stateOf(ctx.port, 'g/t')).runningUntil).toBeGreaterThanOrEqual(before + 10_000 - 50);
    const [listed] = await ctx.port.workers.list();
    expect(listed).toMatchObject({ ...worker('c1', 1), isLeader: false });
    expect(listed.lastSeen).toBeGreaterThanOrEqual(before - 50);
  });

  it('requeue hands a delivered run back to the one-off queue, same slot, attempt and kind', async () => {
    const token = await lead(ctx.port);
    const run = await deliver(ctx.port, token, 'g/t', 'c1');
    await ctx.port.runs.requeue(run, 200);
    // No longer this worker's, and not in the streams any more.
    expect(await ctx.port.runs.renew(worker('c1'), [{ run, started: false }], LONG_TTL)).toEqual([0]);
    expect(await readRuns(ctx.port, 'c2')).toEqual([]);
    expect((await ctx.port.schedule.fetchDue(Date.now(), 10)).filter((d) => d.source === 'oneOff')).toEqual([]);
    await sleep(300);
    const [due] = (await ctx.port.schedule.fetchDue(Date.now(), 10)).filter((d) => d.source === 'oneOff');
    expect(due).toMatchObject({ taskId: 'g/t', slot: run.slot, attempt: run.attempt, kind: run.kind });
  });

  it('discard drops a run without recording it', async () => {
    const token = await lead(ctx.port);
    const run = await deliver(ctx.port, token, 'g/t', 'c1');
    await ctx.port.runs.discard(run);
    expect(await ctx.port.runs.renew(worker('c1'), [{ run, started: false }], LONG_TTL)).toEqual([0]);
    expect(await ctx.port.runs.complete('c1', run, outcome('success'), BACKOFF)).toBe('lost');
    expect(await ctx.port.state.readHistory('g/t', 10)).toEqual([]);
    expect(await readRuns(ctx.port, 'c2')).toEqual([]);
  });
}
