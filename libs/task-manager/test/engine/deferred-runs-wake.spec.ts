/**
 * Runs put back on the one-off queue for later by a worker (busy, unknown task, a retry) must wake the
 * leader's scheduler: nothing else tells it, and it may otherwise sleep until maxSleepMs (300 s).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeTask } from '../support/task-definition.fixture.js';
import { EngineHarness, eventsOf } from './engine-harness.js';

/** A task that never comes due by its cron within the test (once a year). */
const YEARLY = '0 0 1 1 *';

describe('deferred runs wake the leader', () => {
  let harness: EngineHarness;
  afterEach(async () => harness.stopAll());

  it('runs a run requeued as busy (its task held elsewhere) as soon as the task is free', async () => {
    harness = new EngineHarness();
    const { timers, store } = harness;
    const task = makeTask({ name: 'exclusive', expression: YEARLY, allowParallel: false });
    const a = harness.instance('a', [task]);
    await harness.startLeader(a);
    // Another worker (frozen, its lease not expired yet) still holds the task's running marker for 10 s: the
    // publish gate lets the trigger through (no in-flight mark), the start gate finds it busy.
    const freeAt = timers.now() + 10_000;
    Object.assign(store.state(task.id), { runningBy: 'n|1-0', runningUntil: freeAt });
    await a.port.state.trigger([task.id]);
    await timers.until(() => eventsOf(a, 'run.started').length === 1, 60_000);
    expect(timers.now()).toBeGreaterThanOrEqual(freeAt);
    expect(timers.now() - freeAt).toBeLessThan(2500);
  });

  it('runs a retry when its backoff ends, whatever the next cron slot', async () => {
    harness = new EngineHarness();
    const { timers } = harness;
    const task = makeTask({
      name: 'flaky',
      expression: YEARLY,
      maxAttempts: 2,
      retryBackoff: 2,
      handler: (_kwargs, ctx) => {
        if (ctx.attempt === 1) throw new Error('first attempt fails');
      },
    });
    const a = harness.instance('a', [task]);
    await harness.startLeader(a);
    await a.port.state.trigger([task.id]);
    await timers.until(() => eventsOf(a, 'run.failed').length === 1);
    const failedAt = timers.now();
    await timers.until(() => eventsOf(a, 'run.succeeded').length === 1, 20_000);
    expect(eventsOf(a, 'run.succeeded')[0].attempt).toBe(2);
    expect(timers.now() - failedAt).toBeLessThan(3500);
  });
});
