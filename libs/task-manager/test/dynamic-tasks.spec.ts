/**
 * Dynamic task definitions across instances that miss change notices (a paused process, a dropped
 * subscriber connection): two instances on one in-process backend, each with its own registry, syncing
 * only when the test says so.
 */
import type { LoggerService } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import type { CoordinationPort } from '../src/engine/coordination.port.js';
import { Consumer } from '../src/engine/consumer.js';
import { DynamicTasks } from '../src/engine/dynamic-tasks.js';
import { engineSettings } from '../src/engine/engine-settings.js';
import { RunExecutor } from '../src/engine/run-executor.js';
import { TaskManagerEvents } from '../src/engine/task-manager-events.js';
import { ClusterClock } from '../src/engine/cluster-clock.js';
import { ScheduleRegistrar } from '../src/engine/schedule-registrar.js';
import { Scheduler } from '../src/engine/scheduler.js';
import { createMemoryCoordination } from '../src/memory/memory-coordination.js';
import { MemoryStore } from '../src/memory/memory-store.js';
import { resolveOptions } from '../src/options/resolve-options.js';
import { encodeTaskId } from '../src/registry/task-id.js';
import { TaskRegistry } from '../src/registry/task-registry.js';

const silent: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined };
const options = resolveOptions({ keyPrefix: 'dynamic-spec', logger: silent });
const ID = encodeTaskId('G', 'x');

interface Instance {
  port: CoordinationPort;
  registry: TaskRegistry;
  dynamic: DynamicTasks;
}

/** kwargs of every run of `fn`, on any instance. */
const executed: unknown[] = [];

function instance(store: MemoryStore, workerId: string, clock?: ClusterClock): Instance {
  const port = createMemoryCoordination(options, workerId, silent, store);
  const registry = new TaskRegistry();
  registry.addGroup({ name: 'G', tags: [], className: 'G' });
  registry.addFunction({
    groupName: 'G',
    name: 'fn',
    handler: (kwargs: unknown) => void executed.push(kwargs),
    source: 'G.fn',
  });
  const registrar = new ScheduleRegistrar(port.schedule, registry, clock);
  return { port, registry, dynamic: new DynamicTasks(port.dynamicTasks, registry, registrar, options, silent) };
}

const create = (on: Instance, cronExpression: string, kwargs: Record<string, unknown>) =>
  on.dynamic.create({ groupName: 'G', functionName: 'fn', name: 'x', cronExpression, kwargs });

/**
 * Two instances: `a` created x (yearly, v1) and `b` synced it; then `a` deleted x and, unless `recreate` is
 * null, created it again with `recreate` (cron) and v2. `b` missed both notices.
 */
async function missedRedefinition(recreate: string | null) {
  const store = new MemoryStore();
  const [a, b] = [instance(store, 'a'), instance(store, 'b')];
  await create(a, '0 0 1 1 *', { v: 1 });
  await b.dynamic.sync();
  expect(b.registry.getTask(ID)?.expression).toBe('0 0 1 1 *');
  await a.dynamic.delete('G', 'x');
  if (recreate !== null) await create(a, recreate, { v: 2 });
  return { store, a, b };
}

describe('dynamic tasks: a sync overlapping local changes', () => {
  /** `b` on a store whose definitions take 30 ms to arrive (read at once, answered later). */
  function slowInstance(store: MemoryStore): Instance {
    const b = instance(store, 'b');
    const port = b.port.dynamicTasks;
    const slow = {
      loadAll: async () => {
        const set = await port.loadAll();
        await new Promise((resolve) => setTimeout(resolve, 30));
        return set;
      },
      generation: () => port.generation(),
      create: port.create.bind(port),
      remove: port.remove.bind(port),
      read: port.read.bind(port),
      update: port.update.bind(port),
    };
    const registrar = new ScheduleRegistrar(b.port.schedule, b.registry);
    return { ...b, dynamic: new DynamicTasks(slow, b.registry, registrar, options, silent) };
  }

  it('does not drop a task created here after it read the definitions', async () => {
    const b = slowInstance(new MemoryStore());
    const syncing = b.dynamic.sync();
    await create(b, '0 0 1 1 *', { v: 1 });
    await syncing;
    expect(b.registry.getTask(ID)?.kwargs).toEqual({ v: 1 });
  });

  it('does not bring back a task deleted here after it read the definitions', async () => {
    const store = new MemoryStore();
    const b = slowInstance(store);
    await create(b, '0 0 1 1 *', { v: 1 });
    const syncing = b.dynamic.sync();
    await b.dynamic.delete('G', 'x');
    await syncing;
    expect(b.registry.getTask(ID)).toBeUndefined();
  });
});

describe('dynamic tasks: an instance that missed the notices of a delete and a re-create', () => {
  it('replaces the definition it holds at its next sync (cron and kwargs)', async () => {
    const { b } = await missedRedefinition('*/3 * * * * *');
    await b.dynamic.sync();
    expect(b.registry.getTask(ID)).toMatchObject({ expression: '*/3 * * * * *', kwargs: { v: 2 } });
  });

  it('as the leader, never advances the schedule with the old cron', async () => {
    const { store, b } = await missedRedefinition('* * * * * *');
    // The new task is due now; b leads, still holding the yearly definition.
    const due = Date.now() - 10;
    store.schedule.set(ID, due);
    const lease = await b.port.leadership.acquire('b', 30_000);
    if (!('token' in lease)) throw new Error('b could not lead');
    const scheduler = new Scheduler(
      {
        port: b.port.schedule,
        registry: b.registry,
        onLeadershipLost: () => undefined,
        logger: silent,
        refreshDefinitions: () => b.dynamic.ensureCurrent(),
      },
      {
        batchSize: 100,
        misfireToleranceMs: 5000,
        misfireMaxRuns: 10,
        unknownTaskPostponeMs: 30_000,
        maxSleepMs: 60_000,
        errorRetryMs: 50,
      },
    );
    scheduler.start(lease.token);
    try {
      const deadline = Date.now() + 3000;
      while (store.schedule.score(ID) === due && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      // Advanced by the new cron (every second), not to next New Year: at most a second past the
      // time it was advanced (the scheduler takes its next slot after its own now, which a loaded
      // machine puts well past `due`).
      expect(store.schedule.score(ID)).not.toBe(due);
      expect(store.schedule.score(ID)!).toBeLessThanOrEqual(Date.now() + 1000);
      expect(b.registry.getTask(ID)?.expression).toBe('* * * * * *');
    } finally {
      scheduler.stop();
    }
  });

  it('as a worker, runs the stored kwargs, not those it held', async () => {
    const { a, b } = await missedRedefinition('0 0 1 1 *');
    executed.length = 0;
    const consumer = new Consumer(
      {
        port: b.port.runs,
        registry: b.registry,
        executor: new RunExecutor({ workerId: 'b', logger: silent }),
        workerId: 'b',
        events: new TaskManagerEvents(),
        logger: silent,
        refreshDefinitions: () => b.dynamic.ensureCurrent(),
      },
      {
        ...engineSettings(options).consumer,
        concurrency: 2,
        blockMs: 100,
        leaseTtlMs: 30_000,
        backoff: { retryBackoff: 1, retryBackoffMax: 1, retryBackoffMultiplier: 2 },
      },
    );
    consumer.start();
    try {
      await a.port.state.trigger([ID]);
      const lease = await a.port.leadership.acquire('a', 30_000);
      if (!('token' in lease)) throw new Error('a could not lead');
      const [due] = await a.port.schedule.fetchDue(Date.now(), 10).then((d) => d.filter((i) => i.source === 'oneOff'));
      await a.port.schedule.publish(lease.token, Date.now(), [
        { due, nextSlot: 0, slots: [due.slot], highPriority: false, allowParallel: true, attempt: 1, kind: 'trigger' },
      ]);
      const deadline = Date.now() + 3000;
      while (executed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(executed).toEqual([{ v: 2 }]);
    } finally {
      await consumer.stop(1000);
    }
  });

  it('a stale instance cannot put the old schedule back when it registers its tasks', async () => {
    const { store, b } = await missedRedefinition('* * * * * *');
    const slot = store.schedule.score(ID);
    // e.g. the leader's reconciliation re-registering every task it holds
    await new ScheduleRegistrar(b.port.schedule, b.registry).registerAll();
    expect(store.schedule.score(ID)).toBe(slot);
    expect(store.signatures.get(ID)).toBe('* * * * * *|UTC');
  });

  it('creating a task whose name a stale definition here still holds is not refused', async () => {
    const { b } = await missedRedefinition(null);
    // b missed the delete: the name is free, b's create succeeds and b holds the new definition.
    const task = await create(b, '*/5 * * * * *', { v: 3 });
    expect(task.expression).toBe('*/5 * * * * *');
    expect(b.registry.getTask(ID)).toMatchObject({ expression: '*/5 * * * * *', kwargs: { v: 3 } });
  });
});

describe('dynamic tasks: a first run planned before the store takes the request', () => {
  // Simulator seed 380: a create held by a frozen link reached the store after its first slot; planned there,
  // that slot ran twice (once under the task of the same name deleted meanwhile, once as a misfire of the new).
  // Here the planning instance's estimate of the cluster clock runs 2.5 s behind the store: every plan it
  // makes is past when the store sees it, as a late request is.
  const behind = () => new ClusterClock({ now: () => Date.now() - 2500 });

  it('a create is planned again until its first slot is ahead of the store clock', async () => {
    const store = new MemoryStore();
    const on = instance(store, 'a', behind());
    const before = Date.now();
    await create(on, '* * * * * *', {});
    const [state] = await on.port.state.readStates([ID]);
    expect(state.nextRun).toBeGreaterThan(before);
  });

  it('an update that re-plans the schedule is planned again the same way; the definition is stored once', async () => {
    const store = new MemoryStore();
    const on = instance(store, 'a');
    await create(on, '0 0 1 1 *', {});
    const late = instance(store, 'b', behind());
    await late.dynamic.sync();
    const before = Date.now();
    const task = await late.dynamic.update('G', 'x', { cronExpression: '* * * * * *' });
    expect(task.expression).toBe('* * * * * *');
    const [state] = await on.port.state.readStates([ID]);
    expect(state.nextRun).toBeGreaterThan(before);
    expect(JSON.parse((await on.port.dynamicTasks.read(ID))!).expression).toBe('* * * * * *');
  });
});
