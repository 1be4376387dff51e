import { expect } from 'vitest';
import type { ChangeNotice, ScheduleEntry } from '../../src/engine/coordination.port.js';
import { definitionVersion } from '../../src/registry/dynamic-task.js';
import { CONTRACT_SETTINGS, stateOf, waitFor, type ContractContext } from './helpers.js';

const entry = (taskId: string, firstSlot: number, signature = '* * * * *|UTC'): ScheduleEntry => ({
  taskId,
  signature,
  firstSlot,
  dynamic: true,
});

/** Updating a dynamic task (read, compare-and-set of its definition) and tasks declared disabled. */
export function dynamicUpdateContract(ctx: ContractContext): void {
  const { it } = ctx;

  it('reads one stored definition, or null', async () => {
    const { dynamicTasks } = ctx.port;
    expect(await dynamicTasks.read('g/d')).toBeNull();
    await dynamicTasks.create('g/d', '{"v":1}', entry('g/d', Date.now() + 60_000));
    expect(await dynamicTasks.read('g/d')).toBe('{"v":1}');
  });

  it('updates a definition only while it is the version read: "missing" and "changed" change nothing', async () => {
    const { dynamicTasks } = ctx.port;
    const slot = Date.now() + 60_000;
    expect(await dynamicTasks.update('g/none', definitionVersion('{}'), '{"v":2}', entry('g/none', slot))).toBe(
      'missing',
    );
    await dynamicTasks.create('g/d', '{"v":1}', entry('g/d', slot));
    const created = await dynamicTasks.generation();
    const stale = definitionVersion('{"v":0}');
    expect(await dynamicTasks.update('g/d', stale, '{"v":2}', entry('g/d', slot), false)).toBe('changed');
    expect(await dynamicTasks.generation()).toBe(created);
    expect(await dynamicTasks.read('g/d')).toBe('{"v":1}');
    expect((await stateOf(ctx.port, 'g/d')).disabled).toBe(false);
    expect(await ctx.port.schedule.count()).toBe(1);
    expect(await dynamicTasks.update('g/d', definitionVersion('{"v":1}'), '{"v":2}', entry('g/d', slot))).toBe(
      'updated',
    );
    expect((await dynamicTasks.loadAll()).tasks).toEqual([{ taskId: 'g/d', definition: '{"v":2}' }]);
    expect(await dynamicTasks.generation()).not.toBe(created);
    // The version read before is stale now.
    expect(await dynamicTasks.update('g/d', definitionVersion('{"v":1}'), '{"v":3}', entry('g/d', slot))).toBe(
      'changed',
    );
  });

  it('keeps the next run while the schedule signature is the same, re-plans it when it changed', async () => {
    const { dynamicTasks } = ctx.port;
    const slot = Date.now() + 60_000;
    await dynamicTasks.create('g/d', '{"v":1}', entry('g/d', slot));
    await dynamicTasks.update('g/d', definitionVersion('{"v":1}'), '{"v":2}', entry('g/d', slot + 5000));
    expect((await stateOf(ctx.port, 'g/d')).nextRun).toBe(slot);
    const replanned = entry('g/d', slot + 7000, '0 * * * *|Europe/Paris');
    await dynamicTasks.update('g/d', definitionVersion('{"v":2}'), '{"v":3}', replanned);
    expect((await stateOf(ctx.port, 'g/d')).nextRun).toBe(slot + 7000);
    // The new signature is stored: registering the same entry later keeps the slot.
    expect(await ctx.port.schedule.register([{ ...replanned, firstSlot: slot + 9000 }])).toBe(0);
    expect((await stateOf(ctx.port, 'g/d')).nextRun).toBe(slot + 7000);
  });

  it('refuses a first slot already past by the server clock (a late request): "late" changes nothing', async () => {
    // Seed 380 of the simulator: a create held by a frozen link reached the store after its first slot, which
    // had already run under a task of the same name deleted meanwhile; planned there, the slot ran twice.
    const { dynamicTasks } = ctx.port;
    const past = Date.now() - 500;
    expect(await dynamicTasks.create('g/d', '{"v":1}', entry('g/d', past))).toBe('late');
    expect(await dynamicTasks.read('g/d')).toBeNull();
    expect(await ctx.port.schedule.count()).toBe(0);
    const slot = Date.now() + 60_000;
    expect(await dynamicTasks.create('g/d', '{"v":1}', entry('g/d', slot))).toBe('created');
    const created = await dynamicTasks.generation();
    // Re-planned (a new signature) to a past slot: refused, definition and next run kept.
    const replanned = entry('g/d', past, '0 * * * *|Europe/Paris');
    expect(await dynamicTasks.update('g/d', definitionVersion('{"v":1}'), '{"v":2}', replanned)).toBe('late');
    expect(await dynamicTasks.read('g/d')).toBe('{"v":1}');
    expect(await dynamicTasks.generation()).toBe(created);
    expect((await stateOf(ctx.port, 'g/d')).nextRun).toBe(slot);
    // The same signature keeps the next run: the entry's first slot is not used, so it is not checked.
    expect(await dynamicTasks.update('g/d', definitionVersion('{"v":1}'), '{"v":2}', entry('g/d', past))).toBe(
      'updated',
    );
    expect((await stateOf(ctx.port, 'g/d')).nextRun).toBe(slot);
  });

  it('an update disables or enables the task with its definition, and tells every instance ("tasks")', async () => {
    const peer = await ctx.harness.peer('worker-peer');
    const seen: ChangeNotice[] = [];
    await peer.notices.subscribe((n) => seen.push(n));
    const { dynamicTasks } = ctx.port;
    const slot = Date.now() + 60_000;
    await dynamicTasks.create('g/d', '{"v":1}', entry('g/d', slot));
    await waitFor(() => seen.length === 1);
    await dynamicTasks.update('g/d', definitionVersion('{"v":1}'), '{"v":2}', entry('g/d', slot), false);
    await waitFor(() => seen.length === 2);
    expect((await peer.state.readStates(['g/d']))[0].disabled).toBe(true);
    await dynamicTasks.update('g/d', definitionVersion('{"v":2}'), '{"v":2}', entry('g/d', slot));
    expect((await stateOf(ctx.port, 'g/d')).disabled).toBe(true);
    await dynamicTasks.update('g/d', definitionVersion('{"v":2}'), '{"v":3}', entry('g/d', slot), true);
    await waitFor(() => seen.length === 4);
    expect((await stateOf(ctx.port, 'g/d')).disabled).toBe(false);
    expect(seen.map((n) => n.type)).toEqual(['tasks', 'tasks', 'tasks', 'tasks']);
    expect(seen.every((n) => n.origin === CONTRACT_SETTINGS.workerId)).toBe(true);
  });

  it('a task declared disabled starts disabled when first registered only: an enable survives re-registration', async () => {
    const slot = Date.now() + 60_000;
    const declared = { taskId: 'g/paused', signature: 'a|UTC', firstSlot: slot, dynamic: false, disabled: true };
    const plain = { taskId: 'g/plain', signature: 'a|UTC', firstSlot: slot, dynamic: false };
    expect(await ctx.port.schedule.register([declared, plain])).toBe(2);
    expect((await ctx.port.state.readStates(['g/paused', 'g/plain'])).map((s) => s.disabled)).toEqual([true, false]);
    await ctx.port.state.setDisabled(['g/paused'], false);
    // A restart registers it again, with the same schedule or a new one: it stays enabled.
    await ctx.port.schedule.register([declared]);
    await ctx.port.schedule.register([{ ...declared, signature: 'b|UTC' }]);
    expect((await stateOf(ctx.port, 'g/paused')).disabled).toBe(false);
    // A task seen before that is declared disabled later is left as it is.
    await ctx.port.schedule.register([{ ...plain, disabled: true }]);
    expect((await stateOf(ctx.port, 'g/plain')).disabled).toBe(false);
  });
}
