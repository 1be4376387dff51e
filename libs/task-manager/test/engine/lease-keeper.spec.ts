/**
 * The worker's lease keeper alone, on a scripted run queue and fake time: what it renews, what it reports
 * lost, and the local deadline after which a run whose lease could not be renewed is given up.
 */
import type { LoggerService } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import type { RunMessage, WorkerDescription } from '../../src/engine/coordination.port.js';
import type { HeldRun } from '../../src/engine/held-run.js';
import { Heartbeat } from '../../src/engine/heartbeat.js';
import { InLoopHeartbeat } from '../../src/engine/in-loop-heartbeat.js';
import { LeaseKeeper } from '../../src/engine/lease-keeper.js';
import { ClusterClock } from '../../src/engine/cluster-clock.js';
import { ManualTimers } from './manual-timers.js';

function recordingLogger() {
  const warnings: string[] = [];
  const logger: LoggerService = { log: () => undefined, warn: (m: string) => warnings.push(m), error: () => undefined };
  return { logger, warnings };
}

const description: WorkerDescription = { id: 'w', host: 'h', pid: 1, startedAt: 0, isLeader: false, running: 1 };

function heldRun(timers: ManualTimers, overrides: Partial<RunMessage> = {}): HeldRun {
  return {
    run: {
      messageId: '1-0',
      highPriority: false,
      taskId: 'g/t',
      slot: 1000,
      attempt: 1,
      kind: 'scheduled',
      ...overrides,
    } as RunMessage,
    started: true,
    heldSince: timers.now(),
    lost: false,
    controller: new AbortController(),
  } as HeldRun;
}

/** A keeper of `held()` on `port`'s renewals, with a 1 s heartbeat and a 3 s lease, on fake time. */
function keeperOf(
  timers: ManualTimers,
  port: { renew: () => Promise<unknown> },
  held: () => HeldRun[],
  touch = async () => timers.now(),
) {
  const { logger, warnings } = recordingLogger();
  const heartbeat = new Heartbeat(port as never, { touch } as never, 3000, timers);
  const keeper = new LeaseKeeper(
    {
      transport: new InLoopHeartbeat(heartbeat, 1000, timers),
      describe: () => description,
      held,
      logger,
      clock: new ClusterClock(timers),
      timers,
    },
    { intervalMs: 1000, leaseTtlMs: 3000, leaseGiveUpMs: 2000, watchdogMs: 250, leaderCoversIdleBeat: true },
  );
  return { keeper, warnings };
}

describe('LeaseKeeper', () => {
  // Issue 10 item 14: a run whose completion was in flight during a heartbeat was reported lost ("Lease of
  // run ... was lost (taken over after it expired); aborting it here") although it had just finished.
  it('does not report a run lost when its completion acknowledged it during the heartbeat', async () => {
    const timers = new ManualTimers();
    const held = heldRun(timers);
    let list = [held];
    let release!: () => void;
    const port = {
      renew: () =>
        new Promise((resolve) => {
          release = () => resolve({ lost: [0], vanished: [], serverTime: timers.now() });
        }),
    };
    const { keeper, warnings } = keeperOf(timers, port, () => list);
    keeper.start(); // the first beat is now in flight
    try {
      await timers.advance(5);
      // The consumer records the outcome meanwhile: complete-runs acknowledges the message, the run is released.
      held.completing = true;
      list = [];
      release();
      await timers.advance(5);
      expect(warnings).toEqual([]);
      expect(held.controller.signal.aborted).toBe(false);
    } finally {
      await keeper.stop();
    }
  });

  // Simulator seed 261: a run whose message vanished with its data is still this worker's only before its lease
  // limit; the keeper records that limit from each heartbeat that renewed the run (server time + TTL).
  it('records the lease limit of each run a heartbeat renewed (server time + TTL), not of a lost one', async () => {
    const timers = new ManualTimers();
    const [kept, vanished, lost] = [
      heldRun(timers, { messageId: '1-0' }),
      heldRun(timers, { messageId: '2-0' }),
      heldRun(timers, { messageId: '3-0' }),
    ];
    const serverTime = 1_700_000_000_000;
    const port = { renew: async () => ({ lost: [2], vanished: [1], serverTime }) };
    const { keeper } = keeperOf(timers, port, () => [kept, vanished, lost]);
    keeper.start();
    try {
      await timers.advance(10);
      expect([kept.run.leaseUntil, vanished.run.leaseUntil, lost.run.leaseUntil]).toEqual([
        serverTime + 3000,
        serverTime + 3000,
        undefined,
      ]);
    } finally {
      await keeper.stop();
    }
  });

  it('aborts a run reported lost (re-published elsewhere after its lease expired), with "lease-lost"', async () => {
    const timers = new ManualTimers();
    const held = heldRun(timers);
    const port = { renew: async () => ({ lost: [0], vanished: [], serverTime: timers.now() }) };
    const { keeper, warnings } = keeperOf(timers, port, () => [held]);
    keeper.start();
    try {
      await timers.advance(10);
      expect(held.lost).toBe(true);
      expect((held.controller.signal.reason as { abortCause?: string }).abortCause).toBe('lease-lost');
      expect(warnings.join('\n')).toMatch(/was lost \(taken over after it expired\)/);
    } finally {
      await keeper.stop();
    }
  });

  it('keeps a run whose renewals succeed, however long it runs', async () => {
    const timers = new ManualTimers();
    const held = heldRun(timers);
    let renewals = 0;
    const port = {
      renew: async () => {
        renewals++;
        return { lost: [], vanished: [], serverTime: timers.now() };
      },
    };
    const { keeper, warnings } = keeperOf(timers, port, () => [held]);
    keeper.start();
    try {
      await timers.advance(60_000);
      expect(held.controller.signal.aborted).toBe(false);
      expect(warnings).toEqual([]);
      // One beat a second.
      expect(renewals).toBeGreaterThanOrEqual(60);
      expect(renewals).toBeLessThanOrEqual(62);
    } finally {
      await keeper.stop();
    }
  });

  // Issue 10 item 3: with the link hung (no reply, no error) the keeper stayed stuck in its renewal and the
  // handler ran on while another instance re-ran the slot once the lease expired.
  it('aborts a held run on a local timer once no renewal succeeded for TTL - heartbeat, even if renewals hang', async () => {
    const timers = new ManualTimers();
    const held = heldRun(timers);
    const hang = () => new Promise<never>(() => undefined);
    const { keeper, warnings } = keeperOf(timers, { renew: hang }, () => [held], hang);
    keeper.start();
    try {
      // Given up TTL - heartbeat (2 s) after it was taken, within a watchdog tick (250 ms).
      await timers.advance(2000);
      expect(held.controller.signal.aborted).toBe(false);
      await timers.advance(250);
      expect(held.controller.signal.aborted).toBe(true);
      expect(held.lost).toBe(true);
      expect(held.expired).toBe(true);
      expect(warnings.join('\n')).toMatch(/could not be renewed/);
    } finally {
      await keeper.stop();
    }
  });

  // Issue 14: at 5,000 runs/s a refresh per finished run (a pass over every run held and a message to the
  // heartbeat thread) was a quarter of the engine's CPU per run.
  it('tells the heartbeat of runs that left together once, and of a run started at once', async () => {
    const timers = new ManualTimers();
    const loads: number[] = [];
    let list = Array.from({ length: 50 }, (_, i) => heldRun(timers, { messageId: `${i}-0` }));
    const transport = {
      offThread: false,
      start: () => undefined,
      update: (load: { runs: unknown[] }) => void loads.push(load.runs.length),
      lastSuccessAt: () => timers.now(),
      stop: async () => undefined,
    };
    const keeper = new LeaseKeeper(
      { transport, describe: () => description, held: () => list, logger: recordingLogger().logger, timers },
      { intervalMs: 1000, leaseTtlMs: 3000, leaseGiveUpMs: 2000, watchdogMs: 250, leaderCoversIdleBeat: true },
    );
    keeper.start();
    expect(loads).toEqual([50]);
    for (let i = 0; i < 50; i++) {
      list = list.slice(1);
      keeper.refreshSoon();
    }
    expect(loads).toEqual([50]);
    await timers.advance(0);
    expect(loads).toEqual([50, 0]);
    // A run started is known before its handler can block the event loop: at once.
    list = [heldRun(timers)];
    keeper.refresh();
    expect(loads).toEqual([50, 0, 1]);
    // A refresh that came first leaves nothing for the one that was due soon.
    keeper.refreshSoon();
    keeper.refresh();
    await timers.advance(0);
    expect(loads).toEqual([50, 0, 1, 1]);
    await keeper.stop();
    keeper.refreshSoon();
    await timers.advance(10);
    expect(loads).toEqual([50, 0, 1, 1]);
  });
});

// Issue 14 (idle cost): the leader's lease renewals record its worker heartbeat, so its idle beat is skipped
// while it leads (one script every heartbeat saved); a follower, or a leader holding runs, beats as before.
describe('Heartbeat of an idle leader', () => {
  const leader: WorkerDescription = { ...description, isLeader: true };
  const renewals = () => ({ renew: async () => ({ lost: [], vanished: [], serverTime: 1 }) });

  it('is skipped while it leads and holds no run, when its renewals record it', async () => {
    let touches = 0;
    const heartbeat = new Heartbeat(
      renewals() as never,
      { touch: async () => ++touches } as never,
      3000,
      undefined,
      true,
    );
    // (The first beat sends the description.)
    expect(await heartbeat.beat({ description: leader, runs: [] })).not.toBeNull();
    expect(await heartbeat.beat({ description: leader, runs: [] })).toBeNull();
    expect(touches).toBe(0);
    // No longer the leader: a new description, then touches again.
    const follower = { ...leader, isLeader: false };
    expect(await heartbeat.beat({ description: follower, runs: [] })).not.toBeNull();
    expect(await heartbeat.beat({ description: follower, runs: [] })).not.toBeNull();
    expect(touches).toBe(1);
  });

  it('still touches when the renewals do not record it', async () => {
    let touches = 0;
    const heartbeat = new Heartbeat(renewals() as never, { touch: async () => ++touches } as never, 3000);
    await heartbeat.beat({ description: leader, runs: [] });
    await heartbeat.beat({ description: leader, runs: [] });
    expect(touches).toBe(1);
  });
});
