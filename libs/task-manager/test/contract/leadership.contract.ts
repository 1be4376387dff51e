import { expect } from 'vitest';
import { LeadershipLostError } from '../../src/errors/leadership-lost.error.js';
import {
  dueOf,
  itemFor,
  lead,
  LONG_TTL,
  readRuns,
  scheduleAt,
  sleep,
  stateOf,
  type ContractContext,
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
    // The holder cannot acquire twice either: the lease is taken.
    expect(await ctx.port.leadership.acquire('w1', 1000)).toHaveProperty('retryInMs');
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

  it('renews only with the current token and reports the oldest worker heartbeat', async () => {
    const token = await lead(ctx.port, 'w1');
    expect(await ctx.port.leadership.renew(token, LONG_TTL)).toEqual({ renewed: true, oldestWorkerSeen: null });
    const now = Date.now();
    await ctx.port.workers.touch('old-worker', now - 10_000);
    await ctx.port.workers.touch('new-worker', now);
    expect(await ctx.port.leadership.renew(token, LONG_TTL)).toEqual({ renewed: true, oldestWorkerSeen: now - 10_000 });
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

  it('fences a stale leader: its publish throws LeadershipLostError and changes nothing', async () => {
    const stale = await lead(ctx.port, 'w1', 150);
    const slot = Date.now() - 1000;
    await scheduleAt(ctx.port, 'g/t', slot);
    await ctx.port.state.trigger(['g/o'], slot);
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

  it('fences a stale leader out of recovery too', async () => {
    const stale = await lead(ctx.port, 'w1', 150);
    await sleep(200);
    await lead(ctx.port, 'w2');
    await expect(ctx.port.schedule.reclaimExpired(stale, 100, 10)).rejects.toBeInstanceOf(LeadershipLostError);
  });
}
