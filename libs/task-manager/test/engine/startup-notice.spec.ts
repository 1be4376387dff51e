/**
 * Simulator seed 11828 (several partitions, a lossy link at boot): the reply to the start-up's schedule notice
 * was lost, so start() failed after it had marked the engine started; the start retried by EngineStartup then
 * returned at once, and the instance stayed up with no consumer, no lease keeper and no elector (and healthy).
 * The notice only wakes the leader early (its periodic pass looks anyway): its loss must not stop the start.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeTask } from '../support/task-definition.fixture.js';
import { EngineHarness, eventsOf } from './engine-harness.js';

const YEARLY = '0 0 1 1 *';

describe('start-up schedule notice', () => {
  let harness: EngineHarness;
  afterEach(async () => harness.stopAll());

  it('a lost reply to it does not leave the instance started without its loops', async () => {
    harness = new EngineHarness();
    const { timers } = harness;
    const task = makeTask({ name: 'job', expression: YEARLY });
    const a = harness.instance('a', [task]);
    const publish = a.port.notices.publish.bind(a.port.notices);
    let failed = 0;
    a.port.notices.publish = async (notice) => {
      if (notice.type === 'schedule' && failed === 0) {
        failed++;
        throw new Error('Connection lost');
      }
      return publish(notice);
    };
    // As EngineStartup: start, retried while it fails.
    let attempts = 0;
    let done = false;
    const start = async (): Promise<void> => {
      attempts++;
      try {
        await a.orchestrator.start();
        done = true;
      } catch {
        timers.setTimeout(() => void start(), 500);
      }
    };
    void start();
    await timers.until(() => done, 10_000);
    expect(failed).toBe(1);
    await timers.until(() => a.orchestrator.isLeader, 10_000);
    await a.port.state.trigger([task.id]);
    await timers.until(() => eventsOf(a, 'run.succeeded').length === 1, 10_000);
    expect(attempts).toBeGreaterThanOrEqual(1);
  });
});
