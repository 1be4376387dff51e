/**
 * The leader's scheduler on fake time and the in-process driver: due slots published on time, the misfire
 * policies after an outage, waking on a change notice, sleeping until the next due slot, and stopping when a
 * publish is fenced off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MisfirePolicy } from '../../src/options/task-manager-options.interface.js';
import { makeTask } from '../support/task-definition.fixture.js';
import { EngineHarness, eventsOf } from './engine-harness.js';

const MINUTELY = '* * * * *';
const YEARLY = '0 0 1 1 *';

describe('Scheduler', () => {
  let harness: EngineHarness;
  afterEach(async () => harness.stopAll());

  it('publishes each due slot on time, sleeping until the next one in between', async () => {
    harness = new EngineHarness();
    const { timers } = harness;
    const task = makeTask({ name: 'tick', expression: MINUTELY });
    const a = harness.instance('a', [task]);
    let fetches = 0;
    const fetchDue = a.port.schedule.fetchDue.bind(a.port.schedule);
    a.port.schedule.fetchDue = (...args) => {
      fetches++;
      return fetchDue(...args);
    };
    await harness.startLeader(a);
    await timers.until(() => eventsOf(a, 'run.succeeded').length === 5, 6 * 60_000, 1000);
    const started = eventsOf(a, 'run.started');
    // Every minute on the minute (the harness starts at 12:00:00 UTC), none missed or doubled.
    expect(started.map((e) => e.scheduledAt.toISOString().slice(11, 19))).toEqual([
      '12:01:00',
      '12:02:00',
      '12:03:00',
      '12:04:00',
      '12:05:00',
    ]);
    expect(started.map((e) => e.kind)).toEqual(Array(5).fill('scheduled'));
    for (const e of started) expect(e.latenessMs).toBeLessThan(20);
    // It sleeps until the next slot: a few looks per slot (the slot, the wake after a run), not a poll.
    expect(fetches).toBeLessThan(5 * 4);
  });

  describe.each<[MisfirePolicy, number]>([
    ['runOnce', 1],
    ['skip', 0],
    ['runAll', 3],
  ])('after ten minutes without a leader, misfirePolicy %s', (misfirePolicy, runs) => {
    it(`publishes ${runs} missed run(s), then the slots on time`, async () => {
      harness = new EngineHarness();
      const { timers } = harness;
      const task = makeTask({ name: 'tick', expression: MINUTELY, misfirePolicy });
      const options = { misfireMaxRuns: 3 };
      const a = harness.instance('a', [task], options);
      await harness.startLeader(a);
      // a leaves before the first slot (12:01); nobody leads until b starts at 12:10:30.
      await a.orchestrator.stop();
      await timers.advance(Date.UTC(2030, 0, 1, 12, 10, 30) - timers.now());
      const b = harness.instance('b', [task], options);
      await harness.start(b);
      await timers.until(() => b.orchestrator.isLeader, 10_000);
      await timers.advance(5000);
      const missed = eventsOf(b, 'run.started').filter((e) => e.kind === 'misfire');
      expect(missed).toHaveLength(runs);
      // The latest missed slots.
      expect(missed.map((e) => e.scheduledAt.toISOString().slice(11, 16)).sort()).toEqual(
        ['12:08', '12:09', '12:10'].slice(3 - runs),
      );
      await timers.advance(Date.UTC(2030, 0, 1, 12, 11, 1) - timers.now());
      expect(eventsOf(b, 'run.started').filter((e) => e.kind === 'scheduled')).toMatchObject([
        { scheduledAt: new Date(Date.UTC(2030, 0, 1, 12, 11)) },
      ]);
    });
  });

  // Issue 14: the reconciliation pass wakes the leader's scheduler every 30 s (docs/simulation.md, finding 4),
  // and a wake mostly finds nothing due.
  it('a wake with nothing due peeks at the earliest entry only; one with something due fetches it', async () => {
    harness = new EngineHarness();
    const { timers } = harness;
    const task = makeTask({ name: 'rare', expression: YEARLY });
    const a = harness.instance('a', [task]);
    const b = harness.instance('b', [task]);
    const calls: string[] = [];
    const { schedule } = a.port;
    const fetchDue = schedule.fetchDue.bind(schedule);
    const peekEarliest = schedule.peekEarliest.bind(schedule);
    schedule.fetchDue = (...args) => (calls.push('fetchDue'), fetchDue(...args));
    schedule.peekEarliest = () => (calls.push('peekEarliest'), peekEarliest());
    await harness.startLeader(a);
    await harness.start(b);
    await timers.advance(10_000);
    // A change notice with nothing due (what the 30 s pass's wake meets).
    calls.length = 0;
    await b.port.notices.publish({ type: 'schedule', origin: 'b' });
    await timers.advance(1000);
    expect(calls).toEqual(['peekEarliest']);
    // A trigger: due at once, fetched and run.
    calls.length = 0;
    await b.port.state.trigger([task.id]);
    await timers.until(() => eventsOf(a, 'run.started').length + eventsOf(b, 'run.started').length === 1, 60_000, 1);
    expect(calls.slice(0, 2)).toEqual(['peekEarliest', 'fetchDue']);
  });

  it('wakes at once on a change notice from another instance (not at its next due slot)', async () => {
    harness = new EngineHarness();
    const { timers } = harness;
    const task = makeTask({ name: 'rare', expression: YEARLY });
    const a = harness.instance('a', [task]);
    const b = harness.instance('b', [task]);
    await harness.startLeader(a);
    await harness.start(b);
    await timers.advance(10_000);
    // The leader sleeps until next year (at most maxSleepMs, 300 s); b triggers the task.
    await b.port.state.trigger([task.id]);
    const took = await timers.until(
      () => eventsOf(a, 'run.started').length + eventsOf(b, 'run.started').length === 1,
      60_000,
      1,
    );
    expect(took).toBeLessThan(50);
  });

  it('stops publishing, and steps down, when a publish is fenced off (a stale token)', async () => {
    harness = new EngineHarness();
    const { timers, store } = harness;
    const task = makeTask({ name: 'rare', expression: YEARLY });
    const a = harness.instance('a', [task]);
    await harness.startLeader(a);
    // Another leader took over; a's renewals still (wrongly) report success, so only the publish can tell.
    a.port.leadership.renew = async () => ({ renewed: true, oldestWorkerSeen: null, serverTime: timers.now() });
    store.leader = { token: 'z|99', expiresAt: timers.now() + 3_600_000 };
    await a.port.state.trigger([task.id]);
    await timers.until(() => !a.orchestrator.isLeader, 1000, 1);
    expect(eventsOf(a, 'leadership.lost')).toMatchObject([{ reason: expect.stringMatching(/fencing token is stale/) }]);
    await timers.advance(60_000);
    // Nothing was published by the stale leader: the trigger waits for the real one.
    expect(store.normal.queued.size + store.normal.pending.size).toBe(0);
    expect(eventsOf(a, 'run.started')).toEqual([]);
    expect(store.oneOff.size).toBe(1);
  });
});
