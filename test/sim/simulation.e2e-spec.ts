/**
 * The simulator's CI budget (issue 17): a fixed range of seeds, each a cluster of 3–7 instances under a
 * seeded schedule of faults; any violated invariant fails with the shrunk schedule and its trace. Outside
 * CI: `npm run simulate -- --seeds N --from S` (docs/simulation.md).
 */
import { describe, expect, it } from 'vitest';
import type { FaultKind } from './scenario.js';
import { report, shrink } from './shrink.js';
import { simulate, type SimOptions } from './simulator.js';

/**
 * Seeds per CI run: issue 17's 2,000 (in ≤ 60 s of CI). Measured 2026-12-03 on this machine's 2 cores with
 * nothing else running (load 0.9–1.4): the file in 29.6 s, the budget's test 27.9 s; under load 5–7 it took
 * 67 s wall (43.8 s of CPU). `SIM_SEEDS` changes it, `SIM_FROM` moves the range.
 */
const SEEDS = Number(process.env.SIM_SEEDS ?? 2000);
const FROM = Number(process.env.SIM_FROM ?? 1);
/** Every fault kind, FLUSHALL included; each seed's partition count (half of them one, the others 2, 3 or 6). */
const budget: SimOptions = {};
/**
 * The regression seeds below were found with one partition (before the count was drawn): they replay that
 * schedule. (Each seed's own draw may be several partitions now, a different run.)
 */
const ONE: SimOptions = { knobs: { partitions: 1 } };

describe('deterministic simulation', () => {
  it(`holds every invariant over ${SEEDS} seeds`, async () => {
    let steps = 0;
    for (let seed = FROM; seed < FROM + SEEDS; seed++) {
      const result = await simulate(seed, budget);
      steps += result.stats.steps;
      if (result.violation) expect.fail(report(await shrink(seed, result, budget), budget));
    }
    expect(steps).toBeGreaterThan(SEEDS * 1000);
  }, 120_000);

  it('replays a seed exactly', async () => {
    const [a, b] = [await simulate(42, { trace: true }), await simulate(42, { trace: true })];
    // (Seed 42 draws one partition; 2 draws several.)
    const [c, d] = [await simulate(2, { trace: true }), await simulate(2, { trace: true })];
    expect(d.fingerprint).toBe(c.fingerprint);
    expect(a.fingerprint).toBeDefined();
    expect(b.fingerprint).toBe(a.fingerprint);
    // (Date.now / Math.random reads differ with the process's library caches, e.g. cron-parser's: not the run.)
    expect({ ...b.stats, realClockReads: 0 }).toEqual({ ...a.stats, realClockReads: 0 });
  });

  it('finds a violation when one exists, and shrinks it (the store fix "late-create" reverted)', async () => {
    // Seed 380's bug, with its fix undone in the simulated driver: a dynamic task re-created through a frozen
    // link reaches the store after its first slot; planned at that slot, which already ran under the task of
    // that name deleted meanwhile, the slot runs a second time while the first run still runs. (The timings
    // move with the engine: seed 5834 stood for it after the idle-cost changes of issue 14; since the renewal
    // pacing of e1b5732, seed 380 meets it again, without kills, stops, pauses and wipes. Find the next with
    // `npm run simulate -- --seeds 20000 --partitions 1 --disable kill,stop,pause,wipe --revert late-create`.)
    const knobs = { disabled: new Set<FaultKind>(['kill', 'stop', 'pause', 'wipe']), partitions: 1 };
    const options: SimOptions = { flags: { refuseLateCreate: false }, knobs };
    const result = await simulate(380, options);
    expect(result.violation?.invariant).toBe('double-run');
    const shrunk = await shrink(380, result, options);
    expect(shrunk.result.violation?.invariant).toBe('double-run');
    expect(report(shrunk, options)).toContain('seed 380');
    expect(report(shrunk, options)).toContain('--revert late-create');
    // With the fix the same seed holds: what was found is the bug, not noise of the simulator.
    expect((await simulate(380, { knobs })).violation).toBeUndefined();
  });

  it('seed 261 (a FLUSHALL after a recovery, finding 1) holds: the run is recorded once', async () => {
    // A worker's link hangs while it holds a delivered run; the leader recovers the run and another worker
    // runs it; FLUSHALL; the link thaws: start-runs found the run's data wiped and took it for one nobody
    // else had, so it was re-queued (busy) and recorded a second time. Its lease limit had passed: lost now.
    const options: SimOptions = {
      knobs: {
        instances: 6,
        partitions: 1,
        disabled: new Set<FaultKind>(['kill', 'stop', 'pause', 'lossy', 'duplicate', 'dynamic', 'trigger']),
      },
    };
    const result = await simulate(261, options);
    expect(result.violation).toBeUndefined();
    expect(result.stats.recorded).toBeGreaterThan(0);
  });

  it('seeds 25490 and 35291 (finding 3: a start after a FLUSHALL, before the groups are back) hold', async () => {
    // A worker paused or cut off while it holds a delivered run; the leader recovers the run and another worker
    // runs it; FLUSHALL; the first worker's start reaches the store before anything recreated the consumer
    // groups. The in-process driver started it (a missing group taken for "nobody else has it"): recorded twice.
    for (const seed of [25490, 35291]) expect((await simulate(seed, ONE)).violation).toBeUndefined();
  });

  it('seeds 56034, 60973, 65946, 79590 and 86428 hold: the leader looks at the schedule at every pass', async () => {
    // After a FLUSHALL, the new leader's scheduler peeked an empty schedule and slept; the schedule was restored by
    // a register whose reply was duplicated (its second answer: nothing restored), so nothing woke the scheduler,
    // and the 30 s pass had stopped waking it when no dynamic definition changed: no slot ran for a minute.
    for (const seed of [56034, 60973, 65946, 79590, 86428])
      expect((await simulate(seed, ONE)).violation, `seed ${seed}`).toBeUndefined();
  });

  it('seed 175252 holds: an outcome sent again after a FLUSHALL is not recorded again (finding 5)', async () => {
    // A timed-out run's failure was recorded (a retry scheduled) but its replies were lost, so its worker kept
    // sending it; the retry ran elsewhere; FLUSHALL, which also wiped the evidence of the first recording (its
    // history entry); the next sending of the outcome looked like a run kept through the wipe, was recorded again
    // and queued the retry a second time: attempt 2 of the slot recorded twice.
    expect((await simulate(175252, ONE)).violation).toBeUndefined();
  });

  it('seed 365064 holds: a hand-back re-sent by the link publishes a wiped run once', async () => {
    // A run kept through a FLUSHALL (its data gone, nobody else has it) was handed back at a graceful stop's
    // timeout, and the link re-sent the hand-back (a duplicated reply: ioredis sends the command again on its
    // new connection). The store applied it twice and published the run twice: two instances ran it. Redis's
    // hand-back-runs runs once per request (includes/request-once.lua): the re-sent command answers what its
    // first run did. A false alarm of the simulator's: its network applied every re-sent call again.
    expect((await simulate(365064, ONE)).violation).toBeUndefined();
  });

  it('seed 36750 holds: a run started in the store before a FLUSHALL whose handler begins after is exempt', async () => {
    // An allowParallel=false run's start was applied, then FLUSHALL (its running marker erased with the data),
    // then its reply arrived late (latency); the new leader meanwhile published and started the next slot. The
    // overlap is the wipe's, as for a run already running when it came: the invariant's exception now covers it
    // (a false alarm of the simulator's: the start's era was not looked at).
    expect((await simulate(36750, ONE)).violation).toBeUndefined();
  });

  it('seed 2945 holds: a run of a dynamic task deleted meanwhile is dropped, not lost', async () => {
    // d0's run of 6 s is held by a worker that is SIGKILLed; d0 is deleted meanwhile; the leader recovers the
    // run, the next worker does not know d0 any more and re-queues it, and the leader drops it (its one-off
    // is skipped: no definition). Dropped by design: the lost-run invariant must not count it.
    const result = await simulate(2945, ONE);
    expect(result.violation).toBeUndefined();
  });

  it('seed 2203 holds: a handler called with its signal aborted already stops at once', async () => {
    // A worker is paused (SIGSTOP) between its start request and the reply; on SIGCONT its lease keeper gives
    // the run up (aborts its signal) before the handler is called. A handler that honours its signal stops at
    // once; the simulated one waited for an 'abort' event that never comes, and ran on into the run's re-run
    // elsewhere (double-run).
    const result = await simulate(2203, ONE);
    expect(result.violation).toBeUndefined();
  });

  it('seed 11828 holds: an instance whose start-up notice lost its reply still starts its loops (6 partitions)', async () => {
    // A lossy link at boot lost the reply to the start-up's schedule notice: start() failed after marking the
    // engine started, and its retry returned at once: the instance stayed up with no consumer, heartbeat or
    // elector. With 6 partitions the other instance kept every lease (lease-spread at the end). Its own draw.
    const result = await simulate(11828, {});
    expect(result.stats.instances).toBe(3);
    expect(result.violation).toBeUndefined();
  });
});
