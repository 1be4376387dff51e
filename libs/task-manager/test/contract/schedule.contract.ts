import { expect } from 'vitest';
import {
  BACKOFF,
  deliver,
  dueOf,
  itemFor,
  lead,
  outcome,
  publishScheduled,
  readRuns,
  runToCompletion,
  scheduleAt,
  startOne,
  stateOf,
  type ContractContext,
} from './helpers.js';

/** Registration, due items, the compare-and-set publish with its gates, and the one-off queue. */
export function scheduleContract(ctx: ContractContext): void {
  const { it } = ctx;
  it('registers tasks: a slot is kept while the signature is unchanged, replaced when it changes', async () => {
    const { schedule } = ctx.port;
    const t0 = Date.now() + 60_000;
    expect(
      await schedule.register([
        { taskId: 'g/a', signature: 'x', firstSlot: t0, dynamic: false },
        { taskId: 'g/b', signature: 'x', firstSlot: t0 + 1, dynamic: false },
      ]),
    ).toBe(2);
    expect(await schedule.count()).toBe(2);
    expect(await schedule.register([{ taskId: 'g/a', signature: 'x', firstSlot: t0 + 5000, dynamic: false }])).toBe(0);
    expect((await stateOf(ctx.port, 'g/a')).nextRun).toBe(t0);
    expect(await schedule.register([{ taskId: 'g/a', signature: 'y', firstSlot: t0 + 5000, dynamic: false }])).toBe(1);
    expect((await stateOf(ctx.port, 'g/a')).nextRun).toBe(t0 + 5000);
    expect(await schedule.count()).toBe(2);
  });

  it('does not schedule a dynamic task whose definition does not exist', async () => {
    expect(
      await ctx.port.schedule.register([{ taskId: 'g/d', signature: 'x', firstSlot: Date.now(), dynamic: true }]),
    ).toBe(0);
    expect(await ctx.port.schedule.count()).toBe(0);
    expect((await stateOf(ctx.port, 'g/d')).nextRun).toBeNull();
  });

  it('fetches due items (scheduled and one-off) up to a limit, and peeks the earliest', async () => {
    const { schedule } = ctx.port;
    expect(await schedule.peekEarliest()).toBeNull();
    const now = Date.now();
    await scheduleAt(ctx.port, 'g/a', now - 2000);
    await scheduleAt(ctx.port, 'g/b', now - 1000);
    await scheduleAt(ctx.port, 'g/later', now + 60_000);
    await ctx.port.state.trigger(['g/c'], now - 500);
    expect(await schedule.peekEarliest()).toBe(now - 2000);
    const due = await schedule.fetchDue(now, 1000);
    expect(due.filter((d) => d.source === 'scheduled').map((d) => [d.taskId, d.slot])).toEqual([
      ['g/a', now - 2000],
      ['g/b', now - 1000],
    ]);
    expect(due.filter((d) => d.source === 'oneOff')).toEqual([
      expect.objectContaining({ taskId: 'g/c', slot: now - 500, attempt: 1, kind: 'trigger' }),
    ]);
    const limited = await schedule.fetchDue(now, 1);
    expect(limited.filter((d) => d.source === 'scheduled').map((d) => d.taskId)).toEqual(['g/a']);
  });

  it('publishes a due slot and advances the schedule in one step; a second publish of it is "moved"', async () => {
    const token = await lead(ctx.port);
    const slot = Date.now() - 1000;
    await scheduleAt(ctx.port, 'g/t', slot);
    const due = (await dueOf(ctx.port, 'g/t'))!;
    const result = await ctx.port.schedule.publish(token, Date.now(), [itemFor(due, { nextSlot: slot + 60_000 })]);
    expect(result).toEqual({ statuses: ['published'], earliestDue: slot + 60_000 });
    expect((await stateOf(ctx.port, 'g/t')).nextRun).toBe(slot + 60_000);
    const again = await ctx.port.schedule.publish(token, Date.now(), [itemFor(due, { nextSlot: slot + 120_000 })]);
    expect(again.statuses).toEqual(['moved']);
    expect((await stateOf(ctx.port, 'g/t')).nextRun).toBe(slot + 60_000);
    const runs = await readRuns(ctx.port, 'c1');
    expect(runs).toEqual([
      expect.objectContaining({ taskId: 'g/t', slot, attempt: 1, kind: 'scheduled', highPriority: false }),
    ]);
  });

  it('publishes every slot of a misfire batch, or only advances when there is none ("skipped")', async () => {
    const token = await lead(ctx.port);
    const slot = Date.now() - 5000;
    const slots = [slot, slot + 1000, slot + 2000];
    expect(await publishScheduled(ctx.port, token, 'g/all', { slot, slots, kind: 'misfire' })).toBe('published');
    const runs = await readRuns(ctx.port, 'c1');
    expect(runs.map((r) => [r.slot, r.kind])).toEqual(slots.map((s) => [s, 'misfire']));
    expect(await publishScheduled(ctx.port, token, 'g/skip', { slot, slots: [], nextSlot: slot + 9000 })).toBe(
      'skipped',
    );
    expect((await stateOf(ctx.port, 'g/skip')).nextRun).toBe(slot + 9000);
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
  });

  it('gate "disabled": no run, but the schedule advances', async () => {
    const token = await lead(ctx.port);
    await ctx.port.state.setDisabled(['g/t'], true);
    expect((await stateOf(ctx.port, 'g/t')).disabled).toBe(true);
    const slot = Date.now() - 1000;
    expect(await publishScheduled(ctx.port, token, 'g/t', { slot, nextSlot: slot + 7000 })).toBe('disabled');
    expect((await stateOf(ctx.port, 'g/t')).nextRun).toBe(slot + 7000);
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
    await ctx.port.state.setDisabled(['g/t'], false);
    expect((await stateOf(ctx.port, 'g/t')).disabled).toBe(false);
    expect(await publishScheduled(ctx.port, token, 'g/t')).toBe('published');
  });

  it('gate "backoff": no run while retry_after is ahead of the leader clock', async () => {
    const token = await lead(ctx.port);
    await runToCompletion(ctx.port, token, 'g/t', outcome('failed', 'boom'));
    const { retryAfter } = await stateOf(ctx.port, 'g/t');
    expect(retryAfter).toBeGreaterThan(Date.now());
    expect(await publishScheduled(ctx.port, token, 'g/t', { nowMs: Date.now() })).toBe('backoff');
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
    expect(await publishScheduled(ctx.port, token, 'g/t', { nowMs: retryAfter! + 1 })).toBe('published');
  });

  it('gate "busy" (allowParallel false): no second run while the in-flight one exists', async () => {
    const token = await lead(ctx.port);
    const serial = { allowParallel: false } as const;
    expect(await publishScheduled(ctx.port, token, 'g/t', serial)).toBe('published');
    const slot = Date.now() - 500;
    expect(await publishScheduled(ctx.port, token, 'g/t', { ...serial, slot, nextSlot: slot + 4000 })).toBe('busy');
    // The schedule still advances past a busy slot.
    expect((await stateOf(ctx.port, 'g/t')).nextRun).toBe(slot + 4000);
    const [run] = await readRuns(ctx.port, 'c1');
    expect(await publishScheduled(ctx.port, token, 'g/t', serial)).toBe('busy');
    expect(await startOne(ctx.port, 'c1', run, serial)).toBe('start');
    expect(await publishScheduled(ctx.port, token, 'g/t', serial)).toBe('busy');
    expect(await ctx.port.runs.complete('c1', run, outcome('success'), BACKOFF)).toBe('recorded');
    expect(await publishScheduled(ctx.port, token, 'g/t', serial)).toBe('published');
  });

  it('gate "busy" heals when the in-flight run vanished (discarded) and publishes one run of a batch', async () => {
    const token = await lead(ctx.port);
    const run = await deliver(ctx.port, token, 'g/t', 'c1', { allowParallel: false });
    await ctx.port.runs.discard(run);
    const slot = Date.now() - 3000;
    const slots = [slot, slot + 1000, slot + 2000];
    expect(await publishScheduled(ctx.port, token, 'g/t', { allowParallel: false, slot, slots })).toBe('published');
    expect((await readRuns(ctx.port, 'c1')).map((r) => r.slot)).toEqual([slot]);
  });

  it('trigger: queues a one-off run now and clears the backoff; the schedule is untouched', async () => {
    const token = await lead(ctx.port);
    await runToCompletion(ctx.port, token, 'g/t', outcome('failed', 'boom'));
    const nextRun = (await stateOf(ctx.port, 'g/t')).nextRun;
    const now = Date.now();
    await ctx.port.state.trigger(['g/t'], now);
    expect(await stateOf(ctx.port, 'g/t')).toMatchObject({ retryAfter: null, retryDelay: null, failures: 0, nextRun });
    const due = await dueOf(ctx.port, 'g/t', now, 'oneOff');
    expect(due).toMatchObject({ source: 'oneOff', taskId: 'g/t', slot: now, attempt: 1, kind: 'trigger' });
    const result = await ctx.port.schedule.publish(token, now, [itemFor(due!, { highPriority: true })]);
    expect(result.statuses).toEqual(['published']);
    expect(await readRuns(ctx.port, 'c1')).toEqual([
      expect.objectContaining({ taskId: 'g/t', slot: now, attempt: 1, kind: 'trigger', highPriority: true }),
    ]);
    expect(await dueOf(ctx.port, 'g/t', now, 'oneOff')).toBeUndefined();
    expect((await ctx.port.schedule.publish(token, now, [itemFor(due!)])).statuses).toEqual(['moved']);
  });

  it('one-off gates: "disabled" drops it, "skipped" drops it, "deferred" moves it a second later', async () => {
    const token = await lead(ctx.port);
    const now = Date.now();
    await ctx.port.state.setDisabled(['g/off'], true);
    await ctx.port.state.trigger(['g/off', 'g/skip'], now);
    const off = (await dueOf(ctx.port, 'g/off', now, 'oneOff'))!;
    const skip = (await dueOf(ctx.port, 'g/skip', now, 'oneOff'))!;
    const result = await ctx.port.schedule.publish(token, now, [itemFor(off), itemFor(skip, { slots: [] })]);
    expect(result).toEqual({ statuses: ['disabled', 'skipped'], earliestDue: null });
    expect(await ctx.port.schedule.fetchDue(now + 10_000, 1000)).toEqual([]);

    await deliver(ctx.port, token, 'g/serial', 'c1', { allowParallel: false, nextSlot: now + 60_000 });
    await ctx.port.state.trigger(['g/serial'], now);
    const serial = (await dueOf(ctx.port, 'g/serial', now, 'oneOff'))!;
    const deferred = await ctx.port.schedule.publish(token, now, [itemFor(serial, { allowParallel: false })]);
    expect(deferred).toEqual({ statuses: ['deferred'], earliestDue: now + 1000 });
    expect(await dueOf(ctx.port, 'g/serial', now + 999, 'oneOff')).toBeUndefined();
    expect(await dueOf(ctx.port, 'g/serial', now + 1000, 'oneOff')).toMatchObject({ slot: now, kind: 'trigger' });
  });
}
