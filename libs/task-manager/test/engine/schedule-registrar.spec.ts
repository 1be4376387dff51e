/**
 * The schedule registrar of one partition's leader (several partitions): it checks and restores the entries
 * of its partition's tasks only, so a leader of every partition does not count the deployment once per
 * partition, nor restores every partition's entries after a wipe.
 */
import { describe, expect, it } from 'vitest';
import { ClusterClock } from '../../src/engine/cluster-clock.js';
import { ScheduleRegistrar } from '../../src/engine/schedule-registrar.js';
import { createMemoryCoordination } from '../../src/memory/memory-coordination.js';
import { MemoryStore } from '../../src/memory/memory-store.js';
import { TaskRegistry } from '../../src/registry/task-registry.js';
import { makeTask } from '../support/task-definition.fixture.js';
import { silent } from './engine-harness.js';

describe('ScheduleRegistrar of one partition', () => {
  it("registers, counts and restores its partition's tasks only", async () => {
    const store = new MemoryStore();
    const port = createMemoryCoordination(
      { statisticsHistoryRuns: 10, statisticsRedisExpiration: 60, partitions: 3 },
      'a',
      silent,
      store,
    );
    await port.lifecycle.connect();
    const registry = new TaskRegistry();
    for (let i = 0; i < 12; i++) registry.addTask(makeTask({ name: `t${i}`, expression: '0 0 1 1 *' }));
    const ids = registry.listTasks().map((task) => task.id);
    const mine = ids.filter((id) => port.partitionOf(id) === 1);
    const others = ids.filter((id) => port.partitionOf(id) !== 1);
    expect(mine.length).toBeGreaterThan(0);
    expect(others.length).toBeGreaterThan(0);
    const registrar = new ScheduleRegistrar(
      port.partitions[1].schedule,
      registry,
      new ClusterClock(),
      (taskId) => port.partitionOf(taskId) === 1,
    );

    expect(await registrar.registerAll()).toBe(mine.length);
    expect(
      store.partitions[1].schedule
        .entries()
        .map((e) => e.member)
        .sort(),
    ).toEqual([...mine].sort());
    expect(store.partitions[0].schedule.size + store.partitions[2].schedule.size).toBe(0);
    // Complete although the other partitions hold nothing.
    expect(await registrar.anyMissing()).toBe(false);
    store.partitions[1].schedule.delete(mine[0]);
    expect(await registrar.anyMissing()).toBe(true);
    expect(await registrar.registerAll()).toBe(1);
    expect(await registrar.anyMissing()).toBe(false);
  });
});
