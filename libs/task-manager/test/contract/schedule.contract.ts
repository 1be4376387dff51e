import { expect } from 'vitest';
import {
  BACKOFF,
  deliver,
  dropRun,
  dueOf,
  itemFor,
  lead,
  outcome,
  publishScheduled,
  readRuns,
  runToCompletion,
  scheduleAt,
  sleep,
  startOne,
  stateOf,
  type ContractContext,
} from './helpers.js';

/** Registration, due items, the compare-and-set publish with its gates, and the one-off queue. */
export function scheduleContract(ctx: ContractContext): void {
  const { it } = ctx;
  it('counts the pending runs per priority: queued until read, delivered until completed', async () => {
    const zero = { queued: 0, delivered: 0 };
    expect(await ctx.port.schedule.pendingRuns()).toEqual({ high: zero, normal: zero });
    const token = await lead(ctx.port);
    await publishScheduled(ctx.port, token, 'g/h', { highPriority: true });
    await publishScheduled(ctx.port, token, 'g/n1');
    await publishScheduled(ctx.port, token, 'g/n2');
    expect(await ctx.port.schedule.pendingRuns()).toEqual({
      high: { queued: 1, delivered: 0 },
      normal: { queued: 2, delivered: 0 },
    });
    const [high, normal] = await ctx.port.runs.read('c1', 2, 50);
    expect(await ctx.port.schedule.pendingRuns()).toEqual({
      high: { queued: 0, delivered: 1 },
      normal: { queued: 1, delivered: 1 },
    });
    expect(await startOne(ctx.port, 'c1', high)).toBe('start');
    await ctx.port.runs.complete('c1', high, outcome('success'), BACKOFF);
    await dropRun(ctx.port, 'c1', normal);
    expect(await ctx.port.schedule.pendingRuns()).toEqual({ high: zero, normal: { queued: 1, delivered: 0 } });
  });

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
    const triggeredFrom = Date.now();
    await ctx.port.state.trigger(['g/c']);
    await sleep(5);
    const now = Date.now();
    await scheduleAt(ctx.port, 'g/a', now - 2000);
    await scheduleAt(ctx.port, 'g/b', now - 1000);
    await scheduleAt(ctx.port, 'g/later', now + 60_000);
    expect(await schedule.peekEarliest()).toBe(now - 2000);
    const due = await schedule.fetchDue(now, 1000);
    expect(due.filter((d) => d.source === 'scheduled').map((d) => [d.taskId, d.slot])).toEqual([
      ['g/a', now - 2000],
      ['g/b', now - 1000],
    ]);
    const oneOff = due.filter((d) => d.source === 'oneOff');
    expect(oneOff).toEqual([expect.objectContaining({ taskId: 'g/c', attempt: 1, kind: 'trigger' })]);
    // Due at the server's time of the trigger.
    expect(oneOff[0].slot).toBeGreaterThanOrEqual(triggeredFrom);
    expect(oneOff[0].slot).toBeLessThanOrEqual(now);
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

  it('publishes a batch of hundreds in one call: a status per item in order, the earliest due after all', async () => {
    const token = await lead(ctx.port);
    const slot = Date.now() - 1000;
    const ids = Array.from({ length: 450 }, (_, i) => `g/p${i}`);
    await ctx.port.schedule.register(
      ids.map((taskId) => ({ taskId, signature: 'batch', firstSlot: slot, dynamic: false })),
    );
    const due = (await ctx.port.schedule.fetchDue(Date.now(), 1000)).sort(
      (a, b) => Number(a.taskId.slice(3)) - Number(b.taskId.slice(3)),
    );
    expect(due).toHaveLength(ids.length);
    // Every seventh was published already (by a leader whose call timed out, say): "moved".
    const early = due.filter((_, i) => i % 7 === 0);
    await ctx.port.schedule.publish(
      token,
      Date.now(),
      early.map((d) => itemFor(d, { nextSlot: slot + 120_000 })),
    );
    const result = await ctx.port.schedule.publish(
      token,
      Date.now(),
      due.map((d, i) => itemFor(d, { nextSlot: slot + 60_000 + i })),
    );
    expect(result.statuses).toEqual(due.map((_, i) => (i % 7 === 0 ? 'moved' : 'published')));
    expect(result.earliestDue).toBe(slot + 60_000 + 1);
    const runs = await readRuns(ctx.port, 'c1', 1000);
    expect(runs).toHaveLength(ids.length);
    expect(new Set(runs.map((r) => r.taskId)).size).toBe(ids.length);
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

  it('gate "backoff": no run for a slot before retry_after', async () => {
    const token = await lead(ctx.port);
    await runToCompletion(ctx.port, token, 'g/t', outcome('failed', 'boom'));
    const { retryAfter } = await stateOf(ctx.port, 'g/t');
    expect(retryAfter).toBeGreaterThan(Date.now());
    expect(await publishScheduled(ctx.port, token, 'g/t', { nowMs: Date.now() })).toBe('backoff');
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
    expect(await publishScheduled(ctx.port, token, 'g/t', { slot: retryAfter!, nowMs: retryAfter! })).toBe('published');
  });

  // Issue 10 item 10: the gate compared the time of publishing with retry_after, so a slot before it that the
  // leader published a few ms late ran inside the backoff (test/backoff.e2e-spec.ts flaked: gap 4000 < 5000).
  it('gate "backoff" applies to the slot, not to the moment it is published', async () => {
    const token = await lead(ctx.port);
    await runToCompletion(ctx.port, token, 'g/t', outcome('failed', 'boom'));
    const { retryAfter } = await stateOf(ctx.port, 'g/t');
    const late = retryAfter! + 500;
    expect(await publishScheduled(ctx.port, token, 'g/t', { slot: retryAfter! - 1, nowMs: late })).toBe('backoff');
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
    // Of several slots (misfire runAll), only those at or after retry_after run.
    const slots = [retryAfter! - 1000, retryAfter! - 1, retryAfter!, retryAfter! + 1000];
    expect(
      await publishScheduled(ctx.port, token, 'g/t', { slot: slots[0], slots, nowMs: late + 2000, kind: 'misfire' }),
    ).toBe('published');
    expect((await readRuns(ctx.port, 'c1')).map((r) => r.slot)).toEqual(slots.slice(2));
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

  it('gate "busy" heals when the in-flight run vanished (dropped) and publishes one run of a batch', async () => {
    const token = await lead(ctx.port);
    const run = await deliver(ctx.port, token, 'g/t', 'c1', { allowParallel: false });
    await dropRun(ctx.port, 'c1', run);
    const slot = Date.now() - 3000;
    const slots = [slot, slot + 1000, slot + 2000];
    expect(await publishScheduled(ctx.port, token, 'g/t', { allowParallel: false, slot, slots })).toBe('published');
    expect((await readRuns(ctx.port, 'c1')).map((r) => r.slot)).toEqual([slot]);
  });

  it('trigger: queues a one-off run now and clears the backoff; the schedule is untouched', async () => {
    const token = await lead(ctx.port);
    await runToCompletion(ctx.port, token, 'g/t', outcome('failed', 'boom'));
    const nextRun = (await stateOf(ctx.port, 'g/t')).nextRun;
    const before = Date.now();
    await ctx.port.state.trigger(['g/t']);
    const now = Date.now();
    expect(await stateOf(ctx.port, 'g/t')).toMatchObject({ retryAfter: null, retryDelay: null, failures: 0, nextRun });
    const due = await dueOf(ctx.port, 'g/t', now, 'oneOff');
    expect(due).toMatchObject({ source: 'oneOff', taskId: 'g/t', attempt: 1, kind: 'trigger' });
    const slot = due!.slot;
    expect(slot).toBeGreaterThanOrEqual(before);
    expect(slot).toBeLessThanOrEqual(now);
    const result = await ctx.port.schedule.publish(token, now, [itemFor(due!, { highPriority: true })]);
    expect(result.statuses).toEqual(['published']);
    expect(await readRuns(ctx.port, 'c1')).toEqual([
      expect.objectContaining({ taskId: 'g/t', slot, attempt: 1, kind: 'trigger', highPriority: true }),
    ]);
    expect(await dueOf(ctx.port, 'g/t', now, 'oneOff')).toBeUndefined();
    expect((await ctx.port.schedule.publish(token, now, [itemFor(due!)])).statuses).toEqual(['moved']);
  });

  it('one-off gates: "disabled" drops it, "skipped" drops it, "deferred" moves it a second later', async () => {
    const token = await lead(ctx.port);
    await ctx.port.state.setDisabled(['g/off'], true);
    await ctx.port.state.trigger(['g/off', 'g/skip']);
    const now = Date.now();
    const off = (await dueOf(ctx.port, 'g/off', now, 'oneOff'))!;
    const skip = (await dueOf(ctx.port, 'g/skip', now, 'oneOff'))!;
    const result = await ctx.port.schedule.publish(token, now, [itemFor(off), itemFor(skip, { slots: [] })]);
    expect(result).toEqual({ statuses: ['disabled', 'skipped'], earliestDue: null });
    expect(await ctx.port.schedule.fetchDue(now + 10_000, 1000)).toEqual([]);

    await deliver(ctx.port, token, 'g/serial', 'c1', { allowParallel: false, nextSlot: now + 60_000 });
    await ctx.port.state.trigger(['g/serial']);
    const serial = (await dueOf(ctx.port, 'g/serial', Date.now(), 'oneOff'))!;
    const deferred = await ctx.port.schedule.publish(token, now, [itemFor(serial, { allowParallel: false })]);
    expect(deferred).toEqual({ statuses: ['deferred'], earliestDue: now + 1000 });
    expect(await dueOf(ctx.port, 'g/serial', now + 999, 'oneOff')).toBeUndefined();
    expect(await dueOf(ctx.port, 'g/serial', now + 1000, 'oneOff')).toMatchObject({
      slot: serial.slot,
      kind: 'trigger',
    });
  });
}
