import { expect } from 'vitest';
import type { ChangeNotice, ScheduleEntry } from '../../src/engine/coordination.port.js';
import {
  CONTRACT_SETTINGS,
  lead,
  LONG_TTL,
  runToCompletion,
  outcome,
  stateOf,
  waitFor,
  type ContractContext,
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
    expect(await ctx.port.state.readStates(['g/none'])).toEqual([
      {
        disabled: false,
        nextRun: null,
        retryAfter: null,
        retryDelay: null,
        failures: 0,
        runningUntil: null,
        lastStatus: null,
        lastRun: null,
      },
    ]);
    expect(await ctx.port.state.readHistory('g/none', 10)).toEqual([]);
  });

  it('creates a dynamic task once: persisted and scheduled; a second create conflicts and changes nothing', async () => {
    const { dynamicTasks } = ctx.port;
    const first = entry('g/d');
    expect(await dynamicTasks.create('g/d', '{"v":1}', first)).toBe(true);
    expect(await dynamicTasks.create('g/d', '{"v":2}', entry('g/d', first.firstSlot + 5000))).toBe(false);
    expect(await dynamicTasks.loadAll()).toEqual([{ taskId: 'g/d', definition: '{"v":1}' }]);
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
    expect(await dynamicTasks.loadAll()).toEqual([]);
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
    await ctx.port.state.trigger(['g/t'], Date.now());
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

  it('workers: announce, list with the leader flag, touch, prune and remove', async () => {
    const { workers } = ctx.port;
    const describe = (id: string) => ({ id, host: 'h', pid: 7, startedAt: 100, isLeader: false, running: 1 });
    const before = Date.now();
    await workers.announce(describe('w1'));
    await workers.announce(describe('w2'));
    const listed = await workers.list();
    expect(listed.map((w) => w.id).sort()).toEqual(['w1', 'w2']);
    expect(listed.find((w) => w.id === 'w1')).toMatchObject({ ...describe('w1'), isLeader: false });
    expect(listed[0].lastSeen).toBeGreaterThanOrEqual(before - 50);
    await lead(ctx.port, 'w2', LONG_TTL);
    expect((await workers.list()).filter((w) => w.isLeader).map((w) => w.id)).toEqual(['w2']);

    const now = Date.now();
    await workers.touch('w1', now - 60_000);
    await workers.touch('w3', now - 1000);
    expect((await workers.list()).map((w) => w.id)).toEqual(['w1', 'w3', 'w2']);
    expect((await workers.list()).find((w) => w.id === 'w1')!.lastSeen).toBe(now - 60_000);
    expect(await workers.prune(30_000, now)).toEqual(['w1']);
    expect((await workers.list()).map((w) => w.id)).toEqual(['w3', 'w2']);
    await workers.remove('w2');
    expect(await workers.list()).toEqual([
      { id: 'w3', host: '', pid: 0, startedAt: 0, running: 0, isLeader: false, lastSeen: now - 1000 },
    ]);
  });

  it('lifecycle: healthy while connected, not after close', async () => {
    expect(ctx.port.lifecycle.isHealthy()).toBe(true);
    await ctx.port.lifecycle.close();
    expect(ctx.port.lifecycle.isHealthy()).toBe(false);
  });
}
