import { expect } from 'vitest';
import { MAX_RECORDED_STACK } from '../../src/wire/history-entry.js';
import {
  BACKOFF,
  dueOf,
  itemFor,
  lead,
  LONG_TTL,
  readRunOf,
  readRuns,
  startOne,
  type ContractContext,
} from './helpers.js';
import type { CoordinationPort, RunMessage } from '../../src/engine/coordination.port.js';

const KWARGS = { to: 'ops@example.com', path: 'a/b', nested: { n: [1, 2] } };

/** Triggers `taskId` with kwargs, publishes the one-off run and reads it as `consumer`. */
async function triggered(
  port: CoordinationPort,
  token: string,
  taskId: string,
  consumer: string,
  { allowParallel = true } = {},
): Promise<RunMessage> {
  await port.state.trigger([taskId], KWARGS);
  const due = (await dueOf(port, taskId, Date.now(), 'oneOff'))!;
  const result = await port.schedule.publish(token, Date.now(), [itemFor(due, { allowParallel })]);
  expect(result.statuses).toEqual(['published']);
  return readRunOf(port, consumer, taskId);
}

/** A trigger's own kwargs: carried by its one-off entry, its run, its retries and its history entry. */
export function runKwargsContract(ctx: ContractContext): void {
  const { it } = ctx;

  it('trigger with kwargs: the due item and the run carry them; a trigger without has none', async () => {
    const token = await lead(ctx.port);
    await ctx.port.state.trigger(['g/t'], KWARGS);
    const due = await dueOf(ctx.port, 'g/t', Date.now(), 'oneOff');
    expect(due).toMatchObject({ source: 'oneOff', kind: 'trigger', attempt: 1, kwargs: KWARGS });
    await ctx.port.schedule.publish(token, Date.now(), [itemFor(due!)]);
    const [run] = await readRuns(ctx.port, 'c1');
    expect(run).toMatchObject({ taskId: 'g/t', kind: 'trigger', kwargs: KWARGS });
    await ctx.port.state.trigger(['g/plain']);
    const plain = await dueOf(ctx.port, 'g/plain', Date.now(), 'oneOff');
    expect(plain).not.toHaveProperty('kwargs');
    await ctx.port.schedule.publish(token, Date.now(), [itemFor(plain!)]);
    const [plainRun] = await readRuns(ctx.port, 'c1');
    expect(plainRun.kwargs).toBeUndefined();
  });

  it('records the kwargs with the run, and a failure with its stack (cut); its retry keeps the kwargs', async () => {
    const token = await lead(ctx.port);
    const run = await triggered(ctx.port, token, 'g/t', 'c1');
    expect(await startOne(ctx.port, 'c1', run)).toBe('start');
    const stack = `Error: boom\n${'    at somewhere (file.js:1:1)\n'.repeat(400)}`;
    const failed = { status: 'failed', startedAt: Date.now(), durationSeconds: 0.1, error: 'boom', stack } as const;
    expect(await ctx.port.runs.complete('c1', run, failed, { ...BACKOFF, maxAttempts: 2 })).toBe('recorded');
    const [record] = await ctx.port.state.readHistory('g/t', 10);
    expect(record).toMatchObject({ kind: 'trigger', attempt: 1, kwargs: KWARGS, error: 'boom' });
    expect(record.errorStack).toBe(stack.slice(0, MAX_RECORDED_STACK));
    const retry = await dueOf(ctx.port, 'g/t', Date.now() + 3_600_000, 'oneOff');
    expect(retry).toMatchObject({ kind: 'retry', attempt: 2, kwargs: KWARGS });
  });

  it('a success records no stack; a run without its own kwargs records kwargs null', async () => {
    const token = await lead(ctx.port);
    await ctx.port.state.trigger(['g/t']);
    const due = (await dueOf(ctx.port, 'g/t', Date.now(), 'oneOff'))!;
    await ctx.port.schedule.publish(token, Date.now(), [itemFor(due)]);
    const [run] = await readRuns(ctx.port, 'c1');
    await startOne(ctx.port, 'c1', run);
    const ok = { status: 'success', startedAt: Date.now(), durationSeconds: 0.1, error: null, stack: 'x' } as const;
    await ctx.port.runs.complete('c1', run, ok, BACKOFF);
    expect(await ctx.port.state.readHistory('g/t', 10)).toEqual([
      expect.objectContaining({ kind: 'trigger', kwargs: null, errorStack: null }),
    ]);
  });

  it('keeps the kwargs of a run moved back to the one-off queue (busy, requeued) or handed back', async () => {
    const token = await lead(ctx.port);
    // busy: another run of the task holds its running marker.
    const first = await triggered(ctx.port, token, 'g/serial', 'c1', { allowParallel: false });
    expect(await startOne(ctx.port, 'c1', first, { allowParallel: false })).toBe('start');
    await ctx.port.state.trigger(['g/serial'], KWARGS);
    const due = (await dueOf(ctx.port, 'g/serial', Date.now(), 'oneOff'))!;
    await ctx.port.schedule.publish(token, Date.now(), [itemFor(due)]);
    const [second] = await readRuns(ctx.port, 'c2');
    expect(await startOne(ctx.port, 'c2', second, { allowParallel: false })).toBe('busy');
    expect(await dueOf(ctx.port, 'g/serial', Date.now() + 2000, 'oneOff')).toMatchObject({ kwargs: KWARGS });

    // requeued: its task is not known to the instance that read it.
    const unknown = await triggered(ctx.port, token, 'g/unknown', 'c1');
    await ctx.port.runs.requeue(unknown, 10);
    expect(await dueOf(ctx.port, 'g/unknown', Date.now() + 2000, 'oneOff')).toMatchObject({ kwargs: KWARGS });

    // handed back: re-published as it is.
    const held = await triggered(ctx.port, token, 'g/held', 'c1');
    expect(await ctx.port.runs.handBack('c1', [held], LONG_TTL)).toEqual([true]);
    const again = (await readRuns(ctx.port, 'c3')).find((r) => r.taskId === 'g/held');
    expect(again).toMatchObject({ kind: 'trigger', kwargs: KWARGS });
  });

  it('hand-back of a run whose data was wiped re-publishes it with its kwargs', async () => {
    const token = await lead(ctx.port);
    const run = await triggered(ctx.port, token, 'g/t', 'c1');
    expect(await startOne(ctx.port, 'c1', run)).toBe('start');
    await ctx.harness.wipe();
    await ctx.port.schedule.ensureGroups();
    expect(await ctx.port.runs.handBack('c1', [run], LONG_TTL)).toEqual([true]);
    const again = (await readRuns(ctx.port, 'c2')).find((r) => r.taskId === 'g/t');
    expect(again).toMatchObject({ kind: 'trigger', kwargs: KWARGS });
  });
}
