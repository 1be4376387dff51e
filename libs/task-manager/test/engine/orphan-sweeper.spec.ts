/**
 * The sweep of tasks removed from the code, on fake time and the in-process driver: a task no live instance
 * declares is removed once the grace period is over, not before; one declared again meanwhile is kept.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeTask } from '../support/task-definition.fixture.js';
import { EngineHarness } from './engine-harness.js';

const YEARLY = '0 0 1 1 *';
/** Grace 60 s, a sweep step every 10 s. */
const options = { orphanedTaskGracePeriod: 60, reconciliationInterval: 10 };

describe('OrphanSweeper', () => {
  let harness: EngineHarness;
  afterEach(async () => harness.stopAll());

  /** `old` (tasks kept and dropped) ran and left; `next` (kept only) now leads. */
  async function deployWithout() {
    harness = new EngineHarness();
    const { timers } = harness;
    const kept = makeTask({ name: 'kept', expression: YEARLY });
    const dropped = makeTask({ name: 'dropped', expression: YEARLY });
    const old = harness.instance('old', [kept, dropped], options);
    await harness.start(old);
    await timers.until(() => old.orchestrator.isLeader);
    await old.orchestrator.stop();
    const next = harness.instance('next', [kept], options);
    await harness.start(next);
    await timers.until(() => next.orchestrator.isLeader, 10_000);
    return { kept, dropped, next };
  }

  it('removes a task declared by no live instance once the grace period is over, not before', async () => {
    const { kept, dropped, next } = await deployWithout();
    const { timers, store } = harness;
    const since = timers.now();
    await timers.advance(55_000);
    expect(store.schedule.has(dropped.id)).toBe(true);
    const took = await timers.until(() => !store.schedule.has(dropped.id), 120_000, 1000);
    // Found undeclared at a step, removed at the first step a grace period later.
    expect(55_000 + took).toBeGreaterThanOrEqual(60_000);
    expect(55_000 + took).toBeLessThanOrEqual(60_000 + 2 * 10_000);
    expect(timers.now() - since).toBeLessThanOrEqual(80_000);
    expect(store.schedule.has(kept.id)).toBe(true);
    expect(next.logger.text()).toMatch(
      /Removed 1 task\(s\) that no live instance has declared for 60 s .*: reports\/dropped/,
    );
  });

  it('keeps a task declared again within the grace period (an instance with the old code started)', async () => {
    const { kept, dropped } = await deployWithout();
    const { timers, store } = harness;
    let left = false;
    /** Advances `ms`, looking every second whether the task left the schedule. */
    const watch = async (ms: number) => {
      for (let t = 0; t < ms; t += 1000) {
        await timers.advance(1000);
        left ||= !store.schedule.has(dropped.id);
      }
    };
    await watch(30_000);
    const again = harness.instance('again', [kept, dropped], options);
    await harness.start(again);
    await watch(300_000);
    // Never removed (and registered again), whatever the time.
    expect(left).toBe(false);
    expect(store.schedule.has(kept.id)).toBe(true);
  });
});
