/**
 * Dynamic tasks across instances on fake time and the in-process driver: a creation or deletion on one
 * instance reaches the others at once (change notices), and an instance that missed the notice catches up
 * at its next sync pass. (test/dynamic-tasks.spec.ts covers the definitions themselves, syncing by hand.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryNotices } from '../../src/memory/memory-notices.js';
import { encodeTaskId } from '../../src/registry/task-id.js';
import { EngineHarness, eventsOf, type Instance } from './engine-harness.js';

const ID = encodeTaskId('G', 'x');

describe('DynamicTasks across instances', () => {
  let harness: EngineHarness;
  afterEach(async () => harness.stopAll());

  /** kwargs of every run of G.fn, with the instance that ran it. */
  const runs: Array<{ on: string; kwargs: unknown }> = [];

  /** An instance that registers group G with its function fn. */
  function withFunction(id: string): Instance {
    const instance = harness.instance(id, []);
    instance.registry.addGroup({ name: 'G', tags: [], className: 'G' });
    instance.registry.addFunction({
      groupName: 'G',
      name: 'fn',
      handler: (kwargs: unknown) => void runs.push({ on: id, kwargs }),
      source: 'G.fn',
    });
    return instance;
  }

  async function two() {
    harness = new EngineHarness();
    runs.length = 0;
    const a = withFunction('a');
    const b = withFunction('b');
    await harness.start(a);
    await harness.timers.until(() => a.orchestrator.isLeader);
    await harness.start(b);
    return { a, b };
  }

  it('reaches the other instance at once when created, and when deleted', async () => {
    const { a, b } = await two();
    const { timers } = harness;
    await b.orchestrator.dynamicTasks.create({
      groupName: 'G',
      functionName: 'fn',
      name: 'x',
      cronExpression: '* * * * *',
      kwargs: { v: 1 },
    });
    await timers.advance(10);
    expect(a.registry.getTask(ID)).toMatchObject({ dynamic: true, kwargs: { v: 1 } });
    // It runs (on either instance) at its slots.
    await timers.until(() => runs.length === 2, 3 * 60_000, 1000);
    expect(runs.map((r) => r.kwargs)).toEqual([{ v: 1 }, { v: 1 }]);
    await a.orchestrator.dynamicTasks.delete('G', 'x');
    await timers.advance(10);
    expect(b.registry.getTask(ID)).toBeUndefined();
    await timers.advance(5 * 60_000);
    expect(runs).toHaveLength(2);
    expect(harness.store.schedule.has(ID)).toBe(false);
  });

  it('catches up on a missed notice at the next sync pass', async () => {
    const { a, b } = await two();
    const { timers } = harness;
    // b's subscriber connection dropped: it hears no notice any more.
    (b.port.notices as MemoryNotices).unsubscribeAll();
    await a.orchestrator.dynamicTasks.create({
      groupName: 'G',
      functionName: 'fn',
      name: 'x',
      cronExpression: '0 0 1 1 *',
    });
    await timers.advance(1000);
    expect(b.registry.getTask(ID)).toBeUndefined();
    // The pass every reconciliationInterval (30 s) sees the definitions' generation changed.
    const took = await timers.until(() => b.registry.getTask(ID) !== undefined, 60_000, 100);
    expect(1000 + took).toBeLessThanOrEqual(30_000 + 100);
    await a.orchestrator.dynamicTasks.delete('G', 'x');
    await timers.until(() => b.registry.getTask(ID) === undefined, 31_000, 100);
    expect(eventsOf(b, 'run.started')).toEqual([]);
  });
});
