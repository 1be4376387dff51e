/**
 * The leader's reconciler on fake time and the in-process driver: runs of a silent worker reclaimed once
 * their lease can have expired, schedule entries restored, and the sweep following its cursor across passes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterClock } from '../../src/engine/cluster-clock.js';
import type { ReclaimCursor } from '../../src/engine/coordination.port.js';
import { Reconciler } from '../../src/engine/reconciler.js';
import { ScheduleRegistrar } from '../../src/engine/schedule-registrar.js';
import { createMemoryCoordination } from '../../src/memory/memory-coordination.js';
import { MemoryStore } from '../../src/memory/memory-store.js';
import { TaskRegistry } from '../../src/registry/task-registry.js';
import { makeTask } from '../support/task-definition.fixture.js';
import { EngineHarness, eventsOf, silent } from './engine-harness.js';
import { ManualTimers } from './manual-timers.js';

const YEARLY = '0 0 1 1 *';

/** Puts a run of `taskId` in `store`, delivered to `consumer` and last renewed now (a Redis pending entry). */
function pendingOn(store: MemoryStore, consumer: string, taskId: string): string {
  const id = store.nextId();
  const now = store.now();
  const entry = { id, taskId, slot: now, attempt: 1, kind: 'trigger' as const, generation: store.currentGeneration() };
  store.normal.pending.set(id, { entry, consumer, touchedAt: now });
  return id;
}

describe('Reconciler', () => {
  let harness: EngineHarness | undefined;
  afterEach(async () => {
    await harness?.stopAll();
    harness = undefined;
  });

  it("re-publishes a silent worker's runs right when their lease can have expired", async () => {
    harness = new EngineHarness();
    const { timers, store } = harness;
    const task = makeTask({ name: 'x', expression: YEARLY });
    const a = harness.instance('a', [task]);
    await harness.startLeader(a);
    // Past the new leader's own recovery passes.
    await timers.advance(10_000);
    // Worker 'dead' took a run and died right after its last heartbeat.
    await a.port.workers.touch('dead');
    pendingOn(store, 'dead', task.id);
    const diedAt = timers.now();
    await timers.until(() => eventsOf(a, 'runs.reclaimed').length === 1, 60_000);
    // Its lease (3 x 3 s) expired at diedAt + 9 s: recovered then (timed from the renewals' report of the
    // oldest heartbeat), not at the next sweep (every 9 s from election, here at +17 s).
    expect(timers.now() - diedAt).toBeGreaterThanOrEqual(9000);
    expect(timers.now() - diedAt).toBeLessThan(9000 + 200);
    expect(eventsOf(a, 'runs.reclaimed')).toEqual([{ workerId: 'a', taskIds: [task.id] }]);
    await timers.until(() => eventsOf(a, 'run.succeeded').length === 1, 5000);
    expect(a.logger.text()).toMatch(/Recovered 1 run\(s\) whose worker stopped renewing its lease: reports\/x/);
  });

  it('never takes a run a live worker keeps renewing', async () => {
    harness = new EngineHarness();
    const { timers, store } = harness;
    const task = makeTask({ name: 'x', expression: YEARLY });
    const a = harness.instance('a', [task]);
    await harness.startLeader(a);
    const id = pendingOn(store, 'busy', task.id);
    for (let i = 0; i < 20; i++) {
      await timers.advance(3000);
      store.normal.pending.get(id)!.touchedAt = timers.now();
      await a.port.workers.touch('busy');
    }
    expect(eventsOf(a, 'runs.reclaimed')).toEqual([]);
    expect(store.normal.pending.get(id)?.consumer).toBe('busy');
  });

  it('restores a schedule entry that went missing (e.g. FLUSHALL) at the next reconciliation', async () => {
    harness = new EngineHarness();
    const { timers, store } = harness;
    const task = makeTask({ name: 'x', expression: YEARLY });
    const a = harness.instance('a', [task]);
    await harness.startLeader(a);
    const slot = store.schedule.score(task.id);
    expect(slot).toBe(Date.UTC(2031, 0, 1));
    store.schedule.delete(task.id);
    const took = await timers.until(() => store.schedule.has(task.id), 60_000, 100);
    // Every reconciliationInterval (30 s).
    expect(took).toBeLessThanOrEqual(30_000);
    expect(store.schedule.score(task.id)).toBe(slot);
    expect(a.logger.text()).toMatch(/Reconciliation restored 1 missing schedule entry/);
  });

  it('sweeps the pending runs from where its last pass stopped, and from the start after the end', async () => {
    const timers = new ManualTimers();
    const store = new MemoryStore(timers);
    const port = createMemoryCoordination(
      { statisticsHistoryRuns: 10, statisticsRedisExpiration: 60, partitions: 1 },
      'a',
      silent,
      store,
    );
    await port.lifecycle.connect();
    const registry = new TaskRegistry();
    const clock = new ClusterClock(timers);
    // Three runs of a worker, in id order; one reclaim call per pass, of one run.
    const ids = ['g/a', 'g/b', 'g/c'].map((taskId) => pendingOn(store, 'live', taskId));
    const cursors: ReclaimCursor[] = [];
    const schedule = Object.assign(Object.create(port.schedule) as typeof port.schedule, {
      reclaimExpired: (token: string, options: Parameters<typeof port.schedule.reclaimExpired>[1]) => {
        cursors.push(options.cursor!);
        return port.schedule.reclaimExpired(token, options);
      },
    });
    const reconciler = new Reconciler(
      {
        schedule,
        workers: port.workers,
        registrar: new ScheduleRegistrar(port.schedule, registry, clock),
        onLeadershipLost: () => undefined,
        onScheduleChanged: () => undefined,
        onExhausted: async () => undefined,
        logger: silent,
        clock,
        timers,
      },
      {
        reconciliationMs: 30_000,
        sweepMs: 13_500,
        workerSilentMs: 4500,
        leaseTtlMs: 9000,
        staleWorkerMs: 30_000,
        reclaimBatch: 1,
        maxReclaimCalls: 1,
        reclaimMarginMs: 50,
        maxDeliveries: 5,
      },
    );
    const { token } = (await port.leadership.acquire('a', 3_600_000)) as { token: string };
    reconciler.start(token);
    await timers.settle();
    try {
      // Every run's lease expired; each pass re-publishes one run.
      for (const id of ids) store.normal.pending.get(id)!.touchedAt = timers.now() - 10_000;
      cursors.length = 0;
      for (let pass = 0; pass < 4; pass++) await reconciler.reclaim();
      expect(store.normal.pending.size).toBe(0);
      // Each pass from where the previous one stopped; after the end, from the start again.
      expect(cursors.map((c) => c.normal)).toEqual(['0-0', ids[1], ids[2], '0-0']);
    } finally {
      reconciler.stop();
    }
  });
});
