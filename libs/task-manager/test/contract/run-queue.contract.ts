import { expect } from 'vitest';
import {
  BACKOFF,
  CONTRACT_TESTS,
  deliver,
  dropRun,
  dueOf,
  itemFor,
  lead,
  LONG_TTL,
  outcome,
  publishScheduled,
  readRuns,
  scheduleAt,
  SHORT_TTL,
  sleep,
  startOne,
  stateOf,
  worker,
  type ContractContext,
  reclaim,
  deliverDynamic,
} from './helpers.js';

/** Reading runs (priority, blocking), start decisions, leases, heartbeats and recovery. */
export function runQueueContract(ctx: ContractContext): void {
  const { it } = ctx;
  it('delivers high-priority runs before normal ones, at most `count` runs', async () => {
    const token = await lead(ctx.port);
    await publishScheduled(ctx.port, token, 'g/n1');
    await publishScheduled(ctx.port, token, 'g/n2');
    await publishScheduled(ctx.port, token, 'g/h1', { highPriority: true });
    await publishScheduled(ctx.port, token, 'g/h2', { highPriority: true });
    const first = await ctx.port.runs.read('c1', 1, 50);
    expect(first.map((r) => [r.taskId, r.highPriority])).toEqual([['g/h1', true]]);
    const rest = await ctx.port.runs.read('c1', 10, 50);
    expect(rest.map((r) => r.taskId)).toEqual(['g/h2', 'g/n1', 'g/n2']);
    expect(rest.map((r) => r.highPriority)).toEqual([true, false, false]);
    // Each run is delivered once.
    expect(await readRuns(ctx.port, 'c2')).toEqual([]);
  });

  it(CONTRACT_TESTS.blockedReadPriority, async () => {
    const token = await lead(ctx.port);
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
    const pending = ctx.port.runs.read('c1', 1, 5000);
    await sleep(50);
    const slot = Date.now() - 5000;
    const items = [];
    for (const [taskId, highPriority] of [
      ['g/n1', false],
      ['g/n2', false],
      ['g/h1', true],
      ['g/h2', true],
    ] as const) {
      await scheduleAt(ctx.port, taskId, slot);
      items.push(itemFor((await dueOf(ctx.port, taskId, slot))!, { highPriority }));
    }
    expect((await ctx.port.schedule.publish(token, Date.now(), items)).statuses).toEqual(Array(4).fill('published'));
    // From Redis 7.2 (and on Valkey) the blocked XREADGROUP itself is answered from both streams.
    const first = await pending;
    expect(first.map((r) => [r.taskId, r.highPriority])).toEqual([['g/h1', true]]);
    // Nothing else stays with c1: another consumer gets every other run.
    const rest = [...(await readRuns(ctx.port, 'c2')), ...(await readRuns(ctx.port, 'c2'))];
    expect(rest.map((r) => r.taskId).sort()).toEqual(['g/h2', 'g/n1', 'g/n2']);
  });

  it('a run left for another consumer by a blocked read keeps its task gated (allowParallel false)', async () => {
    const token = await lead(ctx.port);
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
    const pending = ctx.port.runs.read('c1', 1, 5000);
    await sleep(50);
    const slot = Date.now() - 5000;
    await scheduleAt(ctx.port, 'g/h', slot);
    await scheduleAt(ctx.port, 'g/serial', slot);
    const items = [
      itemFor((await dueOf(ctx.port, 'g/h', slot))!, { highPriority: true }),
      itemFor((await dueOf(ctx.port, 'g/serial', slot))!, { allowParallel: false }),
    ];
    expect((await ctx.port.schedule.publish(token, Date.now(), items)).statuses).toEqual(['published', 'published']);
    expect((await pending).map((r) => r.taskId)).toEqual(['g/h']);
    // The serial run is still queued: its task is in flight, so its next slot is not published beside it.
    expect(await publishScheduled(ctx.port, token, 'g/serial', { allowParallel: false })).toBe('busy');
    const [serial] = await readRuns(ctx.port, 'c2');
    expect(serial).toMatchObject({ taskId: 'g/serial', slot });
    expect(await startOne(ctx.port, 'c2', serial, { allowParallel: false })).toBe('start');
  });

  it('a blocked read returns as soon as a run is published', async () => {
    const token = await lead(ctx.port);
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
    const started = Date.now();
    const pending = ctx.port.runs.read('c1', 10, 5000);
    await sleep(100);
    await publishScheduled(ctx.port, token, 'g/t');
    const runs = await pending;
    expect(runs.map((r) => r.taskId)).toEqual(['g/t']);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a read with nothing to deliver returns no run after about blockMs', async () => {
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
    const started = Date.now();
    expect(await ctx.port.runs.read('c1', 10, 300)).toEqual([]);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2000);
  });

  it('interrupt ends a pending blocking read promptly', async () => {
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
    const pending = ctx.port.runs.read('c1', 10, 10_000).then(
      () => 'settled',
      () => 'settled',
    );
    await sleep(100);
    const started = Date.now();
    ctx.port.runs.interrupt();
    expect(await Promise.race([pending, sleep(2000).then(() => 'still blocked')])).toBe('settled');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('start: marks the run running for the lease TTL', async () => {
    const token = await lead(ctx.port);
    const run = await deliver(ctx.port, token, 'g/t', 'c1');
    const before = Date.now();
    expect(await startOne(ctx.port, 'c1', run, { leaseTtlMs: 5000 })).toBe('start');
    const { runningUntil } = await stateOf(ctx.port, 'g/t');
    expect(runningUntil).toBeGreaterThanOrEqual(before + 5000 - 50);
    expect(runningUntil).toBeLessThanOrEqual(Date.now() + 5000 + 50);
  });

  it('start "busy" (allowParallel false, marker held by a live run): re-queued as a one-off a second later', async () => {
    const token = await lead(ctx.port);
    const slot = Date.now() - 2000;
    await publishScheduled(ctx.port, token, 'g/t', { slot, slots: [slot, slot + 1000], kind: 'misfire' });
    const [a, b] = await readRuns(ctx.port, 'c1');
    const before = Date.now();
    const decisions = await ctx.port.runs.start(
      'c1',
      [
        { run: a, allowParallel: false, dynamic: false },
        { run: b, allowParallel: false, dynamic: false },
      ],
      LONG_TTL,
    );
    expect(decisions).toEqual(['start', 'busy']);
    expect(await dueOf(ctx.port, 'g/t', before + 900, 'oneOff')).toBeUndefined();
    expect(await dueOf(ctx.port, 'g/t', Date.now() + 1000, 'oneOff')).toMatchObject({
      slot: slot + 1000,
      attempt: 1,
      kind: 'misfire',
    });
    // The busy run is no longer this worker's.
    expect(await ctx.port.runs.complete('c1', b, outcome('success'), BACKOFF)).toBe('lost');
    expect(await ctx.port.runs.complete('c1', a, outcome('success'), BACKOFF)).toBe('recorded');
  });

  it('start after the marker was released or lapsed: starts', async () => {
    const token = await lead(ctx.port);
    const slot = Date.now() - 3000;
    await publishScheduled(ctx.port, token, 'g/t', { slot, slots: [slot, slot + 1000, slot + 2000] });
    const [a, b, c] = await readRuns(ctx.port, 'c1');
    const serial = { allowParallel: false } as const;
    expect(await startOne(ctx.port, 'c1', a, serial)).toBe('start');
    await ctx.port.runs.complete('c1', a, outcome('success'), BACKOFF);
    expect(await startOne(ctx.port, 'c1', b, { ...serial, leaseTtlMs: 100 })).toBe('start');
    await sleep(150);
    expect(await startOne(ctx.port, 'c1', c, serial)).toBe('start');
  });

  it('start "deleted": a run of a dynamic task deleted meanwhile is dropped', async () => {
    const token = await lead(ctx.port);
    const run = await deliverDynamic(ctx.port, token, 'g/dyn', 'c1');
    await ctx.port.dynamicTasks.remove('g/dyn');
    expect(await startOne(ctx.port, 'c1', run, { dynamic: true })).toBe('deleted');
    expect((await ctx.port.runs.renew(worker('c1'), [{ run, started: false }], LONG_TTL)).lost).toEqual([0]);
  });

  it('recovery: an expired lease is re-published once; the old holder finds the run lost', async () => {
    const token = await lead(ctx.port);
    const run = await deliver(ctx.port, token, 'g/t', 'c1', { highPriority: true, attempt: 2, kind: 'retry' });
    await sleep(SHORT_TTL + 100);
    expect((await reclaim(ctx.port, token, { leaseTtlMs: SHORT_TTL, limit: 10 })).taskIds).toEqual(['g/t']);
    expect((await reclaim(ctx.port, token, { leaseTtlMs: SHORT_TTL, limit: 10 })).taskIds).toEqual([]);
    // (The engine starts with the same lease TTL it renews with.)
    expect(await startOne(ctx.port, 'c1', run, { leaseTtlMs: SHORT_TTL })).toBe('lost');
    expect((await ctx.port.runs.renew(worker('c1'), [{ run, started: true }], SHORT_TTL)).lost).toEqual([0]);
    expect(await ctx.port.runs.complete('c1', run, outcome('success'), BACKOFF)).toBe('lost');
    const [again] = await readRuns(ctx.port, 'c2');
    expect(again).toMatchObject({ taskId: 'g/t', slot: run.slot, attempt: 2, kind: 'retry', highPriority: true });
    expect(again.messageId).not.toBe(run.messageId);
    expect(await startOne(ctx.port, 'c2', again)).toBe('start');
    expect(await ctx.port.runs.complete('c2', again, outcome('success'), BACKOFF)).toBe('recorded');
    expect(await ctx.port.state.readHistory('g/t', 10)).toHaveLength(1);
  });

  it('recovery follows its cursor: every expired run is re-published once across calls', async () => {
    const token = await lead(ctx.port);
    const slot = Date.now() - 10_000;
    const slots = Array.from({ length: 5 }, (_, i) => slot + i * 1000);
    await publishScheduled(ctx.port, token, 'g/t', { slot, slots, kind: 'misfire' });
    expect(await readRuns(ctx.port, 'dead')).toHaveLength(5);
    await sleep(SHORT_TTL + 100);
    const reclaimed: string[] = [];
    let cursor = { high: '0-0', normal: '0-0' };
    for (let call = 0; call < 10; call++) {
      const result = await reclaim(ctx.port, token, { leaseTtlMs: SHORT_TTL, limit: 2, cursor: cursor });
      expect(result.taskIds.length).toBeLessThanOrEqual(2);
      reclaimed.push(...result.taskIds);
      cursor = result.cursor;
      if (cursor.high === '0-0' && cursor.normal === '0-0') break;
    }
    expect(cursor).toEqual({ high: '0-0', normal: '0-0' });
    expect(reclaimed).toEqual(Array(5).fill('g/t'));
    const again = await readRuns(ctx.port, 'c2');
    expect(again.map((r) => r.slot).sort()).toEqual(slots);
  });

  // Issue 10 item 5: a run whose handler kills its process was re-published after each death, until every
  // instance was dead. Deliveries are counted across recoveries; past maxDeliveries the run is given up.
  it('recovery counts deliveries: past maxDeliveries a run is given up (exhausted, still pending), not re-published', async () => {
    const token = await lead(ctx.port);
    const first = await deliver(ctx.port, token, 'g/t', 'w1', { allowParallel: false });
    expect(first.deliveries).toBe(1);
    await sleep(SHORT_TTL + 50);
    const once = await reclaim(ctx.port, token, { leaseTtlMs: SHORT_TTL, limit: 10, maxDeliveries: 2 });
    expect([once.taskIds, once.exhausted]).toEqual([['g/t'], []]);
    const [second] = await readRuns(ctx.port, 'w2');
    expect(second).toMatchObject({ taskId: 'g/t', slot: first.slot, deliveries: 2 });
    await sleep(SHORT_TTL + 50);
    const twice = await reclaim(ctx.port, token, { leaseTtlMs: SHORT_TTL, limit: 10, maxDeliveries: 2 });
    expect(twice.taskIds).toEqual([]);
    expect(twice.exhausted).toEqual([
      expect.objectContaining({
        taskId: 'g/t',
        slot: first.slot,
        attempt: 1,
        deliveries: 2,
        messageId: second.messageId,
      }),
    ]);
    expect(await readRuns(ctx.port, 'w3')).toEqual([]);
    // Still the task's in-flight run, until the leader records it.
    expect(await publishScheduled(ctx.port, token, 'g/t', { allowParallel: false })).toBe('busy');
    const failed = outcome('failed', 'given up');
    expect(await ctx.port.runs.complete('leader', twice.exhausted[0], failed, BACKOFF)).toBe('recorded');
    expect((await ctx.port.state.readHistory('g/t', 10)).map((r) => [r.status, r.error])).toEqual([
      ['failed', 'given up'],
    ]);
    expect(
      await publishScheduled(ctx.port, token, 'g/t', {
        allowParallel: false,
        nowMs: Date.now() + 10_000,
        slot: Date.now() + 5000,
      }),
    ).toBe('published');
    // The worker that held it last finds it gone.
    expect(await ctx.port.runs.complete('w2', second, outcome('success'), BACKOFF)).toBe('lost');
  });

  it('an exhausted run not recorded (the leader died) is given up again by the next recovery', async () => {
    const token = await lead(ctx.port);
    await deliver(ctx.port, token, 'g/t', 'w1');
    await sleep(SHORT_TTL + 50);
    const given = await reclaim(ctx.port, token, { leaseTtlMs: SHORT_TTL, limit: 10, maxDeliveries: 1 });
    expect(given.exhausted).toHaveLength(1);
    expect((await reclaim(ctx.port, token, { leaseTtlMs: SHORT_TTL, limit: 10, maxDeliveries: 1 })).exhausted).toEqual(
      [],
    );
    await sleep(SHORT_TTL + 50);
    const again = await reclaim(ctx.port, token, { leaseTtlMs: SHORT_TTL, limit: 10, maxDeliveries: 1 });
    expect(again.exhausted.map((r) => r.messageId)).toEqual(given.exhausted.map((r) => r.messageId));
  });

  it('handBack re-publishes held runs at once: the in-flight mark follows, the running marker is released', async () => {
    const token = await lead(ctx.port);
    const started = await deliver(ctx.port, token, 'g/serial', 'c1', {
      allowParallel: false,
      attempt: 2,
      kind: 'retry',
    });
    const queued = await deliver(ctx.port, token, 'g/other', 'c1', { highPriority: true });
    expect(await startOne(ctx.port, 'c1', started, { allowParallel: false })).toBe('start');
    expect((await stateOf(ctx.port, 'g/serial')).runningUntil).toBeGreaterThan(Date.now());
    // Another worker's run is not this one's to hand back.
    const foreign = await deliver(ctx.port, token, 'g/foreign', 'c2');
    expect(await ctx.port.runs.handBack('c1', [started, queued, foreign], LONG_TTL)).toEqual([true, true, false]);
    expect((await stateOf(ctx.port, 'g/serial')).runningUntil).toBe(0);
    // Still gated: the re-published run is the task's in-flight run.
    expect(await publishScheduled(ctx.port, token, 'g/serial', { allowParallel: false })).toBe('busy');
    const again = await readRuns(ctx.port, 'c3');
    expect(again.map((r) => [r.taskId, r.slot, r.attempt, r.kind, r.highPriority])).toEqual([
      ['g/other', queued.slot, 1, 'scheduled', true],
      ['g/serial', started.slot, 2, 'retry', false],
    ]);
    // The old deliveries are gone: nothing to renew, nothing to record.
    expect((await ctx.port.runs.renew(worker('c1'), [{ run: started, started: true }], LONG_TTL)).lost).toEqual([0]);
    expect(await ctx.port.runs.complete('c1', started, outcome('success'), BACKOFF)).toBe('lost');
    const serial = again.find((r) => r.taskId === 'g/serial')!;
    expect(await startOne(ctx.port, 'c3', serial, { allowParallel: false })).toBe('start');
    expect(await ctx.port.runs.complete('c3', serial, outcome('success'), BACKOFF)).toBe('recorded');
    expect(await publishScheduled(ctx.port, token, 'g/serial', { allowParallel: false })).toBe('published');
  });

  // docs/reliability.md finding #5: a run in flight when Redis lost its data was reported lost (taken over)
  // and aborted, although nobody had it; nothing re-ran its slot.
  it('a run whose data was wiped is vanished, not lost: it starts, keeps its marker, its outcome is recorded', async () => {
    const token = await lead(ctx.port);
    const started = await deliver(ctx.port, token, 'g/t', 'c1', { allowParallel: false });
    const queued = await deliver(ctx.port, token, 'g/q', 'c1');
    expect(await startOne(ctx.port, 'c1', started, { allowParallel: false })).toBe('start');
    await ctx.harness.wipe();
    await ctx.port.schedule.ensureGroups();
    const held = [
      { run: started, started: true },
      { run: queued, started: false },
    ];
    const beat = await ctx.port.runs.renew(worker('c1', 1), held, LONG_TTL);
    expect([beat.lost, beat.vanished]).toEqual([[], [0, 1]]);
    // The running marker is kept up, so the allowParallel gate still sees the run.
    expect((await stateOf(ctx.port, 'g/t')).runningUntil).toBeGreaterThan(Date.now() + LONG_TTL / 2);
    // Delivered long enough ago for the ownership check (a third of the lease): nobody else has it, it starts.
    await sleep(20);
    // (As the lease keeper records each renewal: the run's lease holds a TTL from the beat.)
    queued.leaseUntil = beat.serverTime + LONG_TTL;
    expect(await startOne(ctx.port, 'c1', queued, { leaseTtlMs: 30 })).toBe('start');
    expect(await ctx.port.runs.complete('c1', started, outcome('success'), BACKOFF)).toBe('recordedAfterLoss');
    expect(await ctx.port.runs.complete('c1', queued, outcome('success'), BACKOFF)).toBe('recordedAfterLoss');
    expect(await ctx.port.state.readHistory('g/t', 10)).toHaveLength(1);
    // A run published after the wipe is in the new generation: one taken over there is lost as before.
    const fresh = await deliver(ctx.port, await lead(ctx.port, 'leader-after-wipe'), 'g/f', 'c1');
    await dropRun(ctx.port, 'c1', fresh);
    expect((await ctx.port.runs.renew(worker('c1'), [{ run: fresh, started: false }], LONG_TTL)).lost).toEqual([0]);
  });

  // Simulator seed 261 (docs/simulation.md): a worker whose link hung held a run; the leader recovered it (lease
  // idle for a TTL) and another worker ran it; then the data was wiped. When the link thawed, the first worker
  // took the gone message for a wiped one nobody else had, and ran (and recorded) the run a second time.
  it('a run recovered elsewhere before its data was wiped stays lost: not started, renewed, handed back or recorded', async () => {
    const token = await lead(ctx.port);
    const started = await deliver(ctx.port, token, 'g/s', 'c1');
    const queued = await deliver(ctx.port, token, 'g/q', 'c1');
    expect(await startOne(ctx.port, 'c1', started, { leaseTtlMs: SHORT_TTL })).toBe('start');
    await sleep(SHORT_TTL + 100);
    expect((await reclaim(ctx.port, token, { leaseTtlMs: SHORT_TTL, limit: 10 })).taskIds.sort()).toEqual([
      'g/q',
      'g/s',
    ]);
    expect((await readRuns(ctx.port, 'c2')).map((r) => r.taskId).sort()).toEqual(['g/q', 'g/s']);
    await ctx.harness.wipe();
    await ctx.port.schedule.ensureGroups();
    await lead(ctx.port, 'leader-after-wipe');
    const held = [
      { run: started, started: true },
      { run: queued, started: false },
    ];
    const beat = await ctx.port.runs.renew(worker('c1', 1), held, SHORT_TTL);
    expect([beat.lost, beat.vanished]).toEqual([[0, 1], []]);
    expect(await startOne(ctx.port, 'c1', queued, { leaseTtlMs: SHORT_TTL })).toBe('lost');
    expect(await ctx.port.runs.handBack('c1', [started, queued], SHORT_TTL)).toEqual([false, false]);
    expect(await ctx.port.runs.complete('c1', started, outcome('success'), BACKOFF)).toBe('lost');
    expect(await ctx.port.state.readHistory('g/s', 10)).toEqual([]);
    expect(await readRuns(ctx.port, 'c3')).toEqual([]);
  });

  // Simulator seeds 25490 and 35291: as above, but the first worker's start reached the store after the wipe
  // and before anything recreated the consumer groups. The in-process driver started the run (a missing
  // group was taken for "nobody else can have it"), and it was recorded twice; Redis answered lost.
  it('a run recovered elsewhere before its data was wiped stays lost while the consumer groups are gone', async () => {
    const token = await lead(ctx.port);
    const run = await deliver(ctx.port, token, 'g/s', 'c1');
    await sleep(SHORT_TTL + 100);
    expect((await reclaim(ctx.port, token, { leaseTtlMs: SHORT_TTL, limit: 10 })).taskIds).toEqual(['g/s']);
    const recovered = (await readRuns(ctx.port, 'c2'))[0];
    expect(await startOne(ctx.port, 'c2', recovered, { leaseTtlMs: LONG_TTL })).toBe('start');
    await ctx.harness.wipe();
    expect(await startOne(ctx.port, 'c1', run, { leaseTtlMs: SHORT_TTL })).toBe('lost');
    const beat = await ctx.port.runs.renew(worker('c1', 1), [{ run, started: false }], SHORT_TTL);
    expect([beat.lost, beat.vanished]).toEqual([[0], []]);
    expect(await ctx.port.runs.complete('c1', run, outcome('success'), BACKOFF)).toBe('lost');
    // The worker that recovered it before the wipe still has it: its outcome is the one recorded.
    recovered.leaseUntil = Date.now() + LONG_TTL;
    expect(await ctx.port.runs.complete('c2', recovered, outcome('success'), BACKOFF)).toBe('recordedAfterLoss');
    expect(await ctx.port.state.readHistory('g/s', 10)).toHaveLength(1);
  });

  it('handBack re-publishes a held run whose data was wiped', async () => {
    const token = await lead(ctx.port);
    const run = await deliver(ctx.port, token, 'g/t', 'c1', { attempt: 2, kind: 'retry' });
    await ctx.harness.wipe();
    await ctx.port.schedule.ensureGroups();
    expect(await ctx.port.runs.handBack('c1', [run], LONG_TTL)).toEqual([true]);
    const [again] = await readRuns(ctx.port, 'c2');
    expect(again).toMatchObject({ taskId: 'g/t', slot: run.slot, attempt: 2, kind: 'retry' });
    expect(again.generation).not.toBe(run.generation);
  });

  it('recovery never takes a run before its TTL, nor a run whose lease is renewed', async () => {
    const token = await lead(ctx.port);
    const fresh = await deliver(ctx.port, token, 'g/fresh', 'c1');
    expect((await reclaim(ctx.port, token, { leaseTtlMs: SHORT_TTL, limit: 10 })).taskIds).toEqual([]);
    await dropRun(ctx.port, 'c1', fresh);
    const kept = await deliver(ctx.port, token, 'g/kept', 'c1');
    const queued = await deliver(ctx.port, token, 'g/queued', 'c1');
    expect(await startOne(ctx.port, 'c1', kept, { leaseTtlMs: SHORT_TTL })).toBe('start');
    // Published but not delivered: waits for a worker, however long; it has no lease to expire.
    await publishScheduled(ctx.port, token, 'g/waiting');
    // Two TTLs long, heartbeats every third of a TTL: for a started run and for a delivered, not started one.
    for (let i = 0; i < 6; i++) {
      await sleep(SHORT_TTL / 3);
      const held = [
        { run: kept, started: true },
        { run: queued, started: false },
      ];
      expect((await ctx.port.runs.renew(worker('c1', 1), held, SHORT_TTL)).lost).toEqual([]);
      expect((await reclaim(ctx.port, token, { leaseTtlMs: SHORT_TTL, limit: 10 })).taskIds).toEqual([]);
    }
    expect((await readRuns(ctx.port, 'c2')).map((r) => r.taskId)).toEqual(['g/waiting']);
    expect(await ctx.port.runs.complete('c1', kept, outcome('success'), BACKOFF)).toBe('recorded');
    expect(await startOne(ctx.port, 'c1', queued)).toBe('start');
  });

  it('recovery moves the in-flight mark to the re-published run (allowParallel false stays gated)', async () => {
    const token = await lead(ctx.port);
    await deliver(ctx.port, token, 'g/t', 'c1', { allowParallel: false });
    await sleep(SHORT_TTL + 100);
    expect((await reclaim(ctx.port, token, { leaseTtlMs: SHORT_TTL, limit: 10 })).taskIds).toEqual(['g/t']);
    expect(await publishScheduled(ctx.port, token, 'g/t', { allowParallel: false })).toBe('busy');
    const [again] = await readRuns(ctx.port, 'c2');
    expect(await startOne(ctx.port, 'c2', again, { allowParallel: false })).toBe('start');
    await ctx.port.runs.complete('c2', again, outcome('success'), BACKOFF);
    expect(await publishScheduled(ctx.port, token, 'g/t', { allowParallel: false })).toBe('published');
  });

  it('renew: extends the running marker and refreshes the worker registry', async () => {
    const token = await lead(ctx.port);
    const run = await deliver(ctx.port, token, 'g/t', 'c1');
    expect(await startOne(ctx.port, 'c1', run, { leaseTtlMs: SHORT_TTL })).toBe('start');
    const before = Date.now();
    expect((await ctx.port.runs.renew(worker('c1', 1), [{ run, started: true }], 10_000)).lost).toEqual([]);
    expect((await stateOf(ctx.port, 'g/t')).runningUntil).toBeGreaterThanOrEqual(before + 10_000 - 50);
    const [listed] = await ctx.port.workers.list();
    expect(listed).toMatchObject({ ...worker('c1', 1), isLeader: false });
    expect(listed.lastSeen).toBeGreaterThanOrEqual(before - 50);
  });

  it('requeue hands a delivered run back to the one-off queue, same slot, attempt and kind', async () => {
    const token = await lead(ctx.port);
    const run = await deliver(ctx.port, token, 'g/t', 'c1');
    await ctx.port.runs.requeue(run, 200);
    // No longer this worker's, and not in the streams any more.
    expect((await ctx.port.runs.renew(worker('c1'), [{ run, started: false }], LONG_TTL)).lost).toEqual([0]);
    expect(await readRuns(ctx.port, 'c2')).toEqual([]);
    expect((await ctx.port.schedule.fetchDue(Date.now(), 10)).filter((d) => d.source === 'oneOff')).toEqual([]);
    await sleep(300);
    const [due] = (await ctx.port.schedule.fetchDue(Date.now(), 10)).filter((d) => d.source === 'oneOff');
    expect(due).toMatchObject({ taskId: 'g/t', slot: run.slot, attempt: run.attempt, kind: run.kind });
  });
}
