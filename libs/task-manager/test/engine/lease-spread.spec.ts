/**
 * The partition leases spread over the instances (issue 15), on real orchestrators over the in-process driver
 * and fake time: one instance leads every partition alone; as others join, it hands leases over until each
 * leads ⌈P / live⌉; an instance that stops gives its leases up and the others take them at once; through all
 * of it, every slot of every task runs exactly once and no partition has two leaders.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskDefinition } from '../../src/registry/task-definition.js';
import { partitionOf } from '../../src/wire/partition-of.js';
import { makeTask } from '../support/task-definition.fixture.js';
import { EngineHarness, eventsOf, type Instance } from './engine-harness.js';

const P = 6;

/** Two tasks per partition, each due every 5 s. */
function tasksOfEveryPartition(): TaskDefinition[] {
  const tasks: TaskDefinition[] = [];
  const per = Array.from({ length: P }, () => 0);
  for (let i = 0; tasks.length < P * 2; i++) {
    const task = makeTask({ name: `t${i}`, expression: '*/5 * * * * *' });
    const partition = partitionOf(task.id, P);
    if (per[partition] === 2) continue;
    per[partition]++;
    tasks.push(task);
  }
  return tasks;
}

describe('partition leases spread over the instances (P = 6)', () => {
  let harness: EngineHarness;
  afterEach(async () => harness.stopAll());

  /** Partition → the worker holding its lease, by the store (null: unled). */
  function leaders(): Array<string | null> {
    return harness.store.partitions.map((store) => store.leaderToken()?.split('|')[0] ?? null);
  }

  /** Leases per instance, by the store. */
  function spread(instances: Instance[]): number[] {
    const held = leaders();
    return instances.map((instance) => held.filter((id) => id === instance.id).length);
  }

  /** Every partition an instance believes it leads is its own by the store: no partition has two leaders. */
  function checkOneLeaderEach(instances: Instance[]): void {
    const held = leaders();
    for (const instance of instances)
      for (const partition of instance.orchestrator.ledPartitions)
        expect(held[partition], `${instance.id} leads partition ${partition}`).toBe(instance.id);
  }

  /** {@link checkOneLeaderEach}, as a step of a wait. */
  function checked(instances: Instance[]): true {
    checkOneLeaderEach(instances);
    return true;
  }

  it("one leads all; three settle at 2/2/2; two take a stopped one's at once (3/3); a new third one gets its share (2/2/2)", async () => {
    harness = new EngineHarness(P);
    const { timers } = harness;
    const tasks = tasksOfEveryPartition();
    const a = harness.instance('a', tasks);
    await harness.start(a);
    await timers.until(() => spread([a])[0] === P, 30_000, 100);

    const b = harness.instance('b', tasks);
    const c = harness.instance('c', tasks);
    await harness.start(b);
    await harness.start(c);
    const joinedAt = timers.now();
    await timers.until(() => checked([a, b, c]) && spread([a, b, c]).every((n) => n === 2), 120_000, 100);
    // Hand-overs come one per check (6 s) after two checks over the share, each lease held a TTL first.
    expect(timers.now() - joinedAt).toBeLessThan(60_000);
    const gained = () => [a, b, c].reduce((n, i) => n + eventsOf(i, 'leadership.gained').length, 0);
    // a's six, then the four it handed over: no lease went back and forth.
    expect(gained()).toBe(P + 4);
    // Steady: nothing moves for a minute.
    for (let t = 0; t < 60; t++) {
      await timers.advance(1000);
      checkOneLeaderEach([a, b, c]);
    }
    expect(gained()).toBe(P + 4);

    // c stops: it releases its two leases and says so; a and b take them at once.
    const stoppedAt = timers.now();
    await harness.stop(c);
    await timers.until(() => checked([a, b]) && spread([a, b]).every((n) => n === 3), 30_000, 10);
    expect(timers.now() - stoppedAt).toBeLessThan(4000);

    // d joins: each hands one over (2/2/2).
    const d = harness.instance('d', tasks);
    await harness.start(d);
    await timers.until(() => checked([a, b, d]) && spread([a, b, d]).every((n) => n === 2), 120_000, 100);
    for (let t = 0; t < 30; t++) {
      await timers.advance(1000);
      checkOneLeaderEach([a, b, d]);
    }
    expect(leaders().every((id) => id !== null)).toBe(true);

    // Every slot of every task ran exactly once, from the first one that could run to the last that had time to.
    const done = new Map<string, number>();
    for (const instance of [a, b, c, d])
      for (const run of eventsOf(instance, 'run.succeeded')) {
        const key = `${run.taskId}@${run.scheduledAt.getTime()}`;
        done.set(key, (done.get(key) ?? 0) + 1);
      }
    expect([...done.values()].filter((n) => n > 1)).toEqual([]);
    const firstSlot = Math.min(...[...done.keys()].map((key) => Number(key.split('@')[1])));
    const lastSlot = timers.now() - 10_000;
    for (const task of tasks)
      for (let slot = firstSlot; slot <= lastSlot; slot += 5000)
        expect(done.get(`${task.id}@${slot}`), `${task.id}@${slot}`).toBe(1);
  });
});
