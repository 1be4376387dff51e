import { expect } from 'vitest';
import { LeadershipLostError } from '../../src/errors/leadership-lost.error.js';
import {
  deliver,
  dueOf,
  itemFor,
  lead,
  LONG_TTL,
  readRuns,
  scheduleAt,
  sleep,
  stateOf,
  worker,
  type ContractContext,
  reclaim,
} from './helpers.js';

/** Leader lease: acquisition with a growing fencing epoch, compare-and-set renewal and release, fencing. */
export function leadershipContract(ctx: ContractContext): void {
  const { it } = ctx;
  it('acquires with a token "<workerId>|<epoch>"; others get the time left on the lease', async () => {
    const first = await ctx.port.leadership.acquire('w1', 1000);
    expect(first).toMatchObject({ token: expect.stringMatching(/^w1\|\d+$/) });
    if (!('token' in first)) return;
    expect(first.token).toBe(`w1|${first.epoch}`);
    const second = await ctx.port.leadership.acquire('w2', 1000);
    expect('retryInMs' in second && second.retryInMs).toBeGreaterThan(0);
    expect('retryInMs' in second && second.retryInMs).toBeLessThanOrEqual(1000);
    // The holder acquiring again (the reply to its acquisition was lost, and ioredis re-sent the command) gets
    // its own lease back, renewed, with the same epoch: no second acquisition, no new fencing token.
    await sleep(100);
    expect(await ctx.port.leadership.acquire('w1', 1000)).toMatchObject({ token: first.token, epoch: first.epoch });
    const later = await ctx.port.leadership.acquire('w2', 1000);
    expect('retryInMs' in later && later.retryInMs).toBeGreaterThan(950);
  });

  it('increments the epoch on every acquisition', async () => {
    const a = await ctx.port.leadership.acquire('w1', LONG_TTL);
    if (!('token' in a)) throw new Error('not acquired');
    await ctx.port.leadership.release(a.token);
    const b = await ctx.port.leadership.acquire('w2', LONG_TTL);
    if (!('token' in b)) throw new Error('not acquired');
    expect(b.epoch).toBe(a.epoch + 1);
    expect(b.token).toBe(`w2|${a.epoch + 1}`);
  });

  // Issue 10 item 10: replies that carry the server time feed every instance's estimate of the cluster
  // clock; heartbeats are recorded in it, not in the caller's.
  it('acquisition, renewals and heartbeats report the server time', async () => {
    const before = Date.now();
    const acquired = await ctx.port.leadership.acquire('w1', LONG_TTL);
    const token = 'token' in acquired ? acquired.token : '';
    const refused = await ctx.port.leadership.acquire('w2', LONG_TTL);
    const renewed = await ctx.port.leadership.renew(token, LONG_TTL);
    const heartbeat = await ctx.port.runs.renew(worker('w1'), [], LONG_TTL);
    const touched = await ctx.port.workers.touch('w1');
    const announced = await ctx.port.workers.announce(worker('w2'));
    const after = Date.now();
    for (const serverTime of [
      acquired.serverTime,
      refused.serverTime,
      renewed.serverTime,
      heartbeat.serverTime,
      touched,
      announced,
    ]) {
      expect(serverTime).toBeGreaterThanOrEqual(before - 50);
      expect(serverTime).toBeLessThanOrEqual(after + 50);
    }
    const seen = (await ctx.port.workers.list()).find((w) => w.id === 'w1')!.lastSeen;
    expect(seen).toBe(touched);
  });

  it('renews only with the current token and reports the oldest worker heartbeat', async () => {
    const token = await lead(ctx.port, 'w1');
    const first = await ctx.port.leadership.renew(token, LONG_TTL);
    // (A driver whose renewals record the leader's heartbeat reports the leader itself, the only worker.)
    const leaderSeen = ctx.port.leadership.renewalRecordsLeader ? first.serverTime : null;
    expect(first).toMatchObject({ renewed: true, oldestWorkerSeen: leaderSeen });
    const oldest = await ctx.port.workers.touch('old-worker');
    await sleep(20);
    await ctx.port.workers.touch('new-worker');
    expect(await ctx.port.leadership.renew(token, LONG_TTL)).toMatchObject({ renewed: true, oldestWorkerSeen: oldest });
    const stale = await ctx.port.leadership.renew('w1|999999', LONG_TTL);
    expect(stale.renewed).toBe(false);
  });

  it('renewal extends the lease past its original TTL', async () => {
    const token = await lead(ctx.port, 'w1', 300);
    await sleep(200);
    expect((await ctx.port.leadership.renew(token, 300)).renewed).toBe(true);
    await sleep(200);
    // 400 ms after acquisition: alive only thanks to the renewal.
    expect(await ctx.port.leadership.acquire('w2', 300)).toHaveProperty('retryInMs');
    expect((await ctx.port.leadership.renew(token, 300)).renewed).toBe(true);
  });

  // Issue 14: the check and the extension are one command (GETEX): a refused renewal extends the lease it found.
  it("a renewal of another's lease is refused, and extends that lease by one TTL from now", async () => {
    const deposed = await lead(ctx.port, 'w1', 150);
    await sleep(200);
    const current = await lead(ctx.port, 'w2', 300);
    await sleep(150);
    expect((await ctx.port.leadership.renew(deposed, 400)).renewed).toBe(false);
    // 350 ms after w2 acquired its 300 ms lease: alive only thanks to the refused renewal.
    await sleep(200);
    expect(await ctx.port.leadership.acquire('w3', LONG_TTL)).toHaveProperty('retryInMs');
    expect((await ctx.port.leadership.renew(current, 300)).renewed).toBe(true);
  });

  it('releases only with the current token; a release lets another worker in at once', async () => {
    const token = await lead(ctx.port, 'w1');
    await ctx.port.leadership.release('w1|999999');
    expect(await ctx.port.leadership.acquire('w2', LONG_TTL)).toHaveProperty('retryInMs');
    await ctx.port.leadership.release(token);
    expect(await ctx.port.leadership.acquire('w2', LONG_TTL)).toHaveProperty('token');
    expect((await ctx.port.leadership.renew(token, LONG_TTL)).renewed).toBe(false);
  });

  it('expires a lease not renewed within its TTL', async () => {
    const token = await lead(ctx.port, 'w1', 200);
    await sleep(260);
    const next = await ctx.port.leadership.acquire('w2', LONG_TTL);
    expect(next).toHaveProperty('token');
    expect((await ctx.port.leadership.renew(token, LONG_TTL)).renewed).toBe(false);
  });

  // The health indicator's read of a partition's leader (several partitions): one plain read, nothing written.
  it('holder: the token of the lease held now; null when free, released or expired; reading extends nothing', async () => {
    expect(await ctx.port.leadership.holder()).toBeNull();
    const token = await lead(ctx.port, 'w1', 200);
    expect(await ctx.port.leadership.holder()).toBe(token);
    expect(await ctx.harness.peer('peer').then((peer) => peer.leadership.holder())).toBe(token);
    await sleep(120);
    expect(await ctx.port.leadership.holder()).toBe(token);
    // 260 ms after the acquisition of a 200 ms lease read twice: expired, the reads renewed nothing.
    await sleep(140);
    expect(await ctx.port.leadership.holder()).toBeNull();
    const next = await lead(ctx.port, 'w2');
    expect(await ctx.port.leadership.holder()).toBe(next);
    await ctx.port.leadership.release(next);
    expect(await ctx.port.leadership.holder()).toBeNull();
  });

  it('fences a stale leader: its publish throws LeadershipLostError and changes nothing', async () => {
    const stale = await lead(ctx.port, 'w1', 150);
    const slot = Date.now() - 1000;
    await scheduleAt(ctx.port, 'g/t', slot);
    await ctx.port.state.trigger(['g/o']);
    const scheduled = (await dueOf(ctx.port, 'g/t'))!;
    const oneOff = (await dueOf(ctx.port, 'g/o', Date.now(), 'oneOff'))!;
    await sleep(200);
    await lead(ctx.port, 'w2');
    await expect(
      ctx.port.schedule.publish(stale, Date.now(), [itemFor(scheduled), itemFor(oneOff)]),
    ).rejects.toBeInstanceOf(LeadershipLostError);
    await expect(ctx.port.schedule.publish('nobody|1', Date.now(), [itemFor(scheduled)])).rejects.toBeInstanceOf(
      LeadershipLostError,
    );
    expect((await stateOf(ctx.port, 'g/t')).nextRun).toBe(slot);
    expect(await dueOf(ctx.port, 'g/o', Date.now(), 'oneOff')).toEqual(oneOff);
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
  });

  // Issue 13 item 9: an expired lease that nobody took over is no lease either. A check that refuses only
  // when another token is held ("GET returns something else") lets this leader publish, and a successor
  // acquiring a moment later publishes the same slots again.
  it('fences a leader whose lease merely expired (nobody holds it): its publish and recovery change nothing', async () => {
    const expired = await lead(ctx.port, 'w1', 150);
    // (A run pending on a worker: recovery is fenced once there is something to recover.)
    await deliver(ctx.port, expired, 'g/pending', 'c0');
    const slot = Date.now() - 1000;
    await scheduleAt(ctx.port, 'g/t', slot);
    const scheduled = (await dueOf(ctx.port, 'g/t'))!;
    await sleep(250);
    await expect(ctx.port.schedule.publish(expired, Date.now(), [itemFor(scheduled)])).rejects.toBeInstanceOf(
      LeadershipLostError,
    );
    await expect(reclaim(ctx.port, expired, { leaseTtlMs: 100, limit: 10 })).rejects.toBeInstanceOf(
      LeadershipLostError,
    );
    expect((await stateOf(ctx.port, 'g/t')).nextRun).toBe(slot);
    expect(await readRuns(ctx.port, 'c1')).toEqual([]);
    // The lease is still free: the next leader gets a new epoch.
    expect(await ctx.port.leadership.acquire('w2', LONG_TTL)).toHaveProperty('token');
  });

  it('fences a stale leader out of recovery too', async () => {
    const stale = await lead(ctx.port, 'w1', 150);
    await deliver(ctx.port, stale, 'g/t', 'c1');
    await sleep(200);
    await lead(ctx.port, 'w2');
    await expect(reclaim(ctx.port, stale, { leaseTtlMs: 100, limit: 10 })).rejects.toBeInstanceOf(LeadershipLostError);
    // The run stays pending where it was, not re-published.
    expect(await readRuns(ctx.port, 'c2')).toEqual([]);
  });

  // Issue 14: an idle deployment sweeps all the time; with nothing pending, the sweep does not read the lease.
  it('a sweep from the start with nothing pending answers nothing, whoever asks', async () => {
    const stale = await lead(ctx.port, 'w1', 150);
    await sleep(200);
    await lead(ctx.port, 'w2');
    expect(await reclaim(ctx.port, stale, { leaseTtlMs: 100, limit: 10 })).toEqual({
      taskIds: [],
      cursor: { high: '0-0', normal: '0-0' },
      exhausted: [],
    });
  });

  // Issue 14: a driver whose renewals record the leader's worker heartbeat lets the leader skip its idle beat.
  it('records the leader heartbeat with a renewal, when the driver says so; never with a refused one', async () => {
    if (!ctx.port.leadership.renewalRecordsLeader) return;
    const { token } = (await ctx.port.leadership.acquire('w1', LONG_TTL)) as { token: string };
    const at = Date.now() + 60_000;
    expect((await ctx.port.leadership.renew(token, LONG_TTL, true, at)).oldestWorkerSeen).toBe(at);
    expect((await ctx.port.workers.list()).map((w) => [w.id, w.lastSeen, w.isLeader])).toEqual([['w1', at, true]]);
    // Without an estimate, the server's clock is read and reported.
    const sampled = await ctx.port.leadership.renew(token, LONG_TTL, true);
    expect(sampled.serverTime).toBeGreaterThan(0);
    expect((await ctx.port.workers.list())[0].lastSeen).toBe(sampled.serverTime);
    // Only the renewals that check the workers record it.
    await ctx.port.leadership.renew(token, LONG_TTL, false, at + 5);
    expect((await ctx.port.workers.list())[0].lastSeen).toBe(sampled.serverTime);
    // A stale token records nothing.
    await ctx.port.leadership.release(token);
    expect((await ctx.port.leadership.renew(token, LONG_TTL, true, at + 1)).renewed).toBe(false);
    expect((await ctx.port.workers.list())[0].lastSeen).toBe(sampled.serverTime);
  });
}
