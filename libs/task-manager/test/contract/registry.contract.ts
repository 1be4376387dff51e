import { expect } from 'vitest';
import type { ChangeNotice, ScheduleEntry } from '../../src/engine/coordination.port.js';
import { definitionVersion } from '../../src/registry/dynamic-task.js';
import {
  CONTRACT_SETTINGS,
  deliver,
  lead,
  LONG_TTL,
  runToCompletion,
  sleep,
  startOne,
  outcome,
  stateOf,
  waitFor,
  type ContractContext,
  EMPTY_STATE,
} from './helpers.js';

const entry = (taskId: string, firstSlot = Date.now() + 60_000): ScheduleEntry => ({
  taskId,
  signature: '* * * * *|UTC',
  firstSlot,
  dynamic: true,
});

/** Task state reads, dynamic task definitions, change notices, the worker registry and the lifecycle. */
export function registryContract(ctx: ContractContext): void {
  const { it } = ctx;
  it('reads the state of unknown tasks as empty', async () => {
    expect(await ctx.port.state.readStates([])).toEqual([]);
    expect(await ctx.port.state.readStates(['g/none'])).toEqual([EMPTY_STATE]);
    expect(await ctx.port.state.readHistory('g/none', 10)).toEqual([]);
  });

  it('reads the states of many tasks at once, each its own, in order; a page reads as it does in the whole list', async () => {
    // More tasks than one batch of a state read; every third is not scheduled, every fifth disabled.
    const ids = Array.from({ length: 1201 }, (_, i) => `g/t-${i}`);
    const base = Date.now() + 60_000;
    await ctx.port.schedule.register(
      ids.flatMap((taskId, i) =>
        i % 3 === 2 ? [] : [{ taskId, signature: 's', firstSlot: base + i, dynamic: false }],
      ),
    );
    await ctx.port.state.setDisabled(
      ids.filter((_, i) => i % 5 === 0),
      true,
    );
    const token = await lead(ctx.port);
    await runToCompletion(ctx.port, token, ids[701], outcome('failed', 'boom')); // retry fields, last run
    const running = await deliver(ctx.port, token, ids[1001], 'worker-a');
    expect(await startOne(ctx.port, 'worker-a', running)).toBe('start'); // running until its lease ends

    const all = await ctx.port.state.readStates(ids);
    expect(all).toHaveLength(ids.length);
    expect(all[1]).toEqual({ ...EMPTY_STATE, nextRun: base + 1 }); // scheduled, no state of its own
    expect(all[2]).toEqual(EMPTY_STATE); // neither scheduled nor any state
    expect(all[5]).toEqual({ ...EMPTY_STATE, disabled: true }); // a state, not scheduled
    expect(all[10]).toEqual({ ...EMPTY_STATE, disabled: true, nextRun: base + 10 });
    expect(all[701]).toMatchObject({ disabled: false, failures: 1, lastStatus: 'failed' });
    for (const field of ['nextRun', 'retryAfter', 'retryDelay', 'lastRun'] as const)
      expect(all[701][field], field).toEqual(expect.any(Number));
    expect(all[1001].runningUntil).toBeGreaterThan(Date.now());
    for (const [i, id] of ids.entries()) expect(all[i], id).toEqual(await stateOf(ctx.port, id));
    expect(await ctx.port.state.readStates(ids.slice(450, 550))).toEqual(all.slice(450, 550));
    expect(await ctx.port.state.readStates([ids[1001], ids[2], ids[701]])).toEqual([all[1001], all[2], all[701]]);
  });

  it('creates a dynamic task once: persisted and scheduled; a second create conflicts and changes nothing', async () => {
    const { dynamicTasks } = ctx.port;
    const first = entry('g/d');
    expect(await dynamicTasks.create('g/d', '{"v":1}', first)).toBe('created');
    expect(await dynamicTasks.create('g/d', '{"v":2}', entry('g/d', first.firstSlot + 5000))).toBe('exists');
    expect((await dynamicTasks.loadAll()).tasks).toEqual([{ taskId: 'g/d', definition: '{"v":1}' }]);
    expect((await stateOf(ctx.port, 'g/d')).nextRun).toBe(first.firstSlot);
    // Registered later with the same signature (e.g. by another instance), it keeps its slot.
    expect(await ctx.port.schedule.register([{ ...first, firstSlot: first.firstSlot + 9000 }])).toBe(0);
    expect((await stateOf(ctx.port, 'g/d')).nextRun).toBe(first.firstSlot);
  });

  it('removes a dynamic task with every trace of it; it is not re-registered afterwards', async () => {
    const token = await lead(ctx.port);
    const { dynamicTasks } = ctx.port;
    await dynamicTasks.create('g/d', '{"v":1}', entry('g/d'));
    await runToCompletion(ctx.port, token, 'g/d', outcome('failed', 'boom'));
    await ctx.port.state.setDisabled(['g/d'], true);
    expect(await dynamicTasks.remove('g/d')).toBe('{"v":1}');
    expect((await dynamicTasks.loadAll()).tasks).toEqual([]);
    expect(await ctx.port.schedule.count()).toBe(0);
    expect(await stateOf(ctx.port, 'g/d')).toMatchObject({
      disabled: false,
      nextRun: null,
      failures: 0,
      lastStatus: null,
    });
    expect(await ctx.port.state.readHistory('g/d', 10)).toEqual([]);
    expect(await ctx.port.schedule.register([entry('g/d')])).toBe(0);
    expect(await ctx.port.schedule.count()).toBe(0);
    expect(await dynamicTasks.remove('g/d')).toBeNull();
  });

  it('dynamic definitions have a generation that every create and delete changes, and nothing else', async () => {
    const { dynamicTasks } = ctx.port;
    const generations = [await dynamicTasks.generation()];
    expect((await dynamicTasks.loadAll()).generation).toBe(generations[0]);
    await dynamicTasks.create('g/d', '{"v":1}', entry('g/d'));
    generations.push(await dynamicTasks.generation());
    await dynamicTasks.create('g/d', '{"v":2}', entry('g/d')); // refused: no change
    await dynamicTasks.remove('g/none'); // nothing to remove: no change
    expect(await dynamicTasks.generation()).toBe(generations[1]);
    await dynamicTasks.remove('g/d');
    generations.push(await dynamicTasks.generation());
    await dynamicTasks.create('g/d', '{"v":1}', entry('g/d')); // the same definition again: still a change
    generations.push(await dynamicTasks.generation());
    expect(new Set(generations).size).toBe(4);
    expect((await dynamicTasks.loadAll()).generation).toBe(generations[3]);
    // A wipe is a change too (the definitions are gone).
    await ctx.harness.wipe();
    expect(await dynamicTasks.generation()).not.toBe(generations[3]);
  });

  it('registers a dynamic task only while its stored definition is the version the entry was computed from', async () => {
    const { dynamicTasks, schedule } = ctx.port;
    const stored = '{"v":2}';
    const slot = Date.now() + 60_000;
    await dynamicTasks.create('g/d', stored, { ...entry('g/d', slot), signature: 'new|UTC' });
    const stale = { ...entry('g/d', slot + 5000), signature: 'old|UTC', version: definitionVersion('{"v":1}') };
    expect(await schedule.register([stale])).toBe(0);
    expect((await stateOf(ctx.port, 'g/d')).nextRun).toBe(slot);
    const current = { ...entry('g/d', slot + 7000), signature: 'newer|UTC', version: definitionVersion(stored) };
    expect(await schedule.register([current])).toBe(1);
    expect((await stateOf(ctx.port, 'g/d')).nextRun).toBe(slot + 7000);
  });

  it('delivers change notices to every subscriber, on this instance and the others', async () => {
    const peer = await ctx.harness.peer('worker-peer');
    const here: ChangeNotice[] = [];
    const there: ChangeNotice[] = [];
    await ctx.port.notices.subscribe((n) => here.push(n));
    await peer.notices.subscribe((n) => there.push(n));
    await ctx.port.notices.publish({ type: 'leader-released', origin: 'worker-main' });
    await waitFor(() => here.length === 1 && there.length === 1);
    expect(there).toEqual([{ type: 'leader-released', origin: 'worker-main' }]);
    expect(here).toEqual(there);
  });

  it('notifies changes: trigger and disable ("schedule"), dynamic create and delete ("tasks")', async () => {
    const peer = await ctx.harness.peer('worker-peer');
    const seen: ChangeNotice[] = [];
    await peer.notices.subscribe((n) => seen.push(n));
    const origin = CONTRACT_SETTINGS.workerId;
    await ctx.port.state.trigger(['g/t']);
    await waitFor(() => seen.length === 1);
    await ctx.port.state.setDisabled(['g/t'], true);
    await waitFor(() => seen.length === 2);
    await ctx.port.dynamicTasks.create('g/d', '{}', entry('g/d'));
    await waitFor(() => seen.length === 3);
    await ctx.port.dynamicTasks.remove('g/d');
    await waitFor(() => seen.length === 4);
    expect(seen).toEqual([
      { type: 'schedule', origin },
      { type: 'schedule', origin },
      { type: 'tasks', origin },
      { type: 'tasks', origin },
    ]);
    // The state is shared: the peer sees what this instance changed.
    expect((await peer.state.readStates(['g/t']))[0].disabled).toBe(true);
  });

  it('workers: announce, list with the leader flag, touch, last-seen times, prune and remove', async () => {
    const { workers } = ctx.port;
    const describe = (id: string) => ({ id, host: 'h', pid: 7, startedAt: 100, isLeader: false, running: 1 });
    expect(await workers.lastSeen()).toEqual([]);
    const before = Date.now();
    await workers.announce(describe('w1'));
    await workers.announce(describe('w2'));
    const listed = await workers.list();
    expect(listed.map((w) => w.id).sort()).toEqual(['w1', 'w2']);
    expect(listed.find((w) => w.id === 'w1')).toMatchObject({ ...describe('w1'), isLeader: false });
    expect(listed[0].lastSeen).toBeGreaterThanOrEqual(before - 50);
    await lead(ctx.port, 'w2', LONG_TTL);
    expect((await workers.list()).filter((w) => w.isLeader).map((w) => w.id)).toEqual(['w2']);

    // Heartbeats are recorded in server time (touch returns it), whatever the caller's clock says.
    const w1Seen = await workers.touch('w1');
    expect(w1Seen).toBeGreaterThanOrEqual(before - 50);
    expect(w1Seen).toBeLessThanOrEqual(Date.now() + 50);
    await sleep(30);
    await workers.announce(describe('w2'));
    const w3Seen = await workers.touch('w3');
    expect((await workers.list()).map((w) => w.id)).toEqual(['w1', 'w2', 'w3']);
    expect((await workers.list()).find((w) => w.id === 'w1')!.lastSeen).toBe(w1Seen);
    // The last-seen times alone (with the ids), lowest first: w1 touched before w2 announced again, w3 last.
    const seen = await workers.lastSeen();
    expect(seen).toEqual((await workers.list()).map(({ id, lastSeen }) => ({ id, lastSeen })));
    expect(seen[0]).toEqual({ id: 'w1', lastSeen: w1Seen });
    expect(seen[2]).toEqual({ id: 'w3', lastSeen: w3Seen });
    expect(seen[0].lastSeen).toBeLessThan(seen[1].lastSeen);
    expect(await workers.prune(w3Seen - w1Seen - 10, w3Seen)).toEqual(['w1']);
    expect((await workers.list()).map((w) => w.id)).toEqual(['w2', 'w3']);
    await workers.remove('w2');
    expect(await workers.lastSeen()).toEqual([{ id: 'w3', lastSeen: w3Seen }]);
    expect(await workers.list()).toEqual([
      { id: 'w3', host: '', pid: 0, startedAt: 0, running: 0, isLeader: false, lastSeen: w3Seen },
    ]);
  });

  it('lifecycle: healthy while connected, not after close', async () => {
    expect(ctx.port.lifecycle.isHealthy()).toBe(true);
    await ctx.port.lifecycle.close();
    expect(ctx.port.lifecycle.isHealthy()).toBe(false);
  });
}
