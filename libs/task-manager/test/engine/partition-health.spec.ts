/**
 * The health indicator of a deployment of several partitions tracks each partition's leader lease: the
 * leaderless partitions and the longest leaderless gap in its details, down once a partition stays leaderless
 * past the failover bound (the one-partition rule), naming it. With one partition nothing changes: no lease is
 * read. (On the in-process driver, fake time; `Date` is faked too: the indicator times gaps with this host's
 * clock.)
 */
import { HealthIndicatorService } from '@nestjs/terminus';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { failoverBoundMs } from '../../src/integrations/shared/overdue-tasks.js';
import {
  TaskManagerHealthIndicator,
  type TaskManagerHealthDetails,
} from '../../src/integrations/terminus/task-manager.health-indicator.js';
import { TaskManagerService } from '../../src/task-manager.service.js';
import { makeTask } from '../support/task-definition.fixture.js';
import { EngineHarness, type Instance } from './engine-harness.js';

const LONG_TTL = 3_600_000;

describe('health of a deployment of several partitions', () => {
  let harness: EngineHarness;
  beforeEach(() => void vi.useFakeTimers({ toFake: ['Date'] }));
  afterEach(async () => {
    vi.useRealTimers();
    await harness.stopAll();
  });

  /** An instance of a deployment of `partitions`, connected, its engine not started (leases taken by hand). */
  async function deployment(partitions: number) {
    harness = new EngineHarness(partitions);
    const a = harness.instance('a', [makeTask({ name: 'yearly', expression: '0 0 1 1 *' })], { autoStart: false });
    await a.port.lifecycle.connect();
    const service = new TaskManagerService(a.registry, a.orchestrator, a.port, a.worker, a.options);
    const indicator = new TaskManagerHealthIndicator(new HealthIndicatorService(), service);
    /** The indicator's verdict now (this host's clock: the store's). */
    const check = async () => {
      vi.setSystemTime(harness.timers.now());
      const result = await indicator.isHealthy('tasks');
      return result.tasks as TaskManagerHealthDetails & { status: 'up' | 'down' };
    };
    return { a, service, check, boundMs: failoverBoundMs(service.config()) };
  }

  /** Takes partition `index`'s lease for `workerId`; returns the token. */
  async function lead(a: Instance, index: number, workerId = 'other'): Promise<string> {
    const acquired = await a.port.partitions[index].leadership.acquire(workerId, LONG_TTL);
    if (!('token' in acquired)) throw new Error(`partition ${index} is led`);
    return acquired.token;
  }

  it('partitionLeaders reads every lease: its holder and epoch, null where nobody leads', async () => {
    const { a, service } = await deployment(3);
    expect(await service.partitionLeaders()).toEqual([null, null, null]);
    await lead(a, 0, 'w|1');
    await lead(a, 2, 'w2');
    expect(await service.partitionLeaders()).toEqual([
      { workerId: 'w|1', epoch: 1 },
      null,
      { workerId: 'w2', epoch: 1 },
    ]);
  });

  it('lists the leaderless partitions, times the longest gap, and is down past the failover bound, naming them', async () => {
    const { a, check, boundMs } = await deployment(3);
    await lead(a, 0);
    const two = await lead(a, 2);

    expect(await check()).toMatchObject({ status: 'up', leaderless_partitions: [1], leaderless_ms: 0 });
    await harness.timers.advance(boundMs - 1000);
    expect(await check()).toMatchObject({ status: 'up', leaderless_partitions: [1], leaderless_ms: boundMs - 1000 });

    await harness.timers.advance(2000);
    const down = await check();
    expect(down).toMatchObject({ status: 'down', leaderless_partitions: [1], leaderless_ms: boundMs + 1000 });
    expect(down.message).toMatch(/^partition 1 without a leader/);

    // Partition 2 loses its leader too: listed, its gap starts now; only partition 1 is past the bound.
    await a.port.partitions[2].leadership.release(two);
    const both = await check();
    expect(both).toMatchObject({ status: 'down', leaderless_partitions: [1, 2], leaderless_ms: boundMs + 1000 });
    expect(both.message).toMatch(/^partition 1 without a leader/);

    // Partition 1 gets a leader: its gap ends; partition 2's, still short, is the longest now.
    await lead(a, 1);
    await harness.timers.advance(500);
    expect(await check()).toMatchObject({ status: 'up', leaderless_partitions: [2], leaderless_ms: 500 });

    // Both past the bound: both named.
    await a.port.partitions[1].leadership.release((await a.port.partitions[1].leadership.holder())!);
    await check();
    await harness.timers.advance(boundMs + 1);
    const all = await check();
    expect(all).toMatchObject({ status: 'down', leaderless_partitions: [1, 2], leaderless_ms: boundMs + 501 });
    expect(all.message).toMatch(/^partitions 1, 2 without a leader/);

    await lead(a, 1);
    await lead(a, 2);
    expect(await check()).toMatchObject({ status: 'up', leaderless_partitions: [], leaderless_ms: 0 });
  });

  it('honours the check’s leaderlessToleranceMs, as with one partition', async () => {
    const { a, service } = await deployment(2);
    await lead(a, 0);
    const indicator = new TaskManagerHealthIndicator(new HealthIndicatorService(), service);
    vi.setSystemTime(harness.timers.now());
    expect((await indicator.isHealthy('t', { leaderlessToleranceMs: 100 })).t.status).toBe('up');
    await harness.timers.advance(101);
    vi.setSystemTime(harness.timers.now());
    expect((await indicator.isHealthy('t', { leaderlessToleranceMs: 100 })).t).toMatchObject({
      status: 'down',
      leaderless_partitions: [1],
      leaderless_ms: 101,
    });
  });

  it('with one partition: unchanged details, no lease read', async () => {
    const { a, check, boundMs } = await deployment(1);
    const holder = vi.spyOn(a.port.partitions[0].leadership, 'holder');
    const first = await check();
    expect(first).toMatchObject({ status: 'up', leader: null, leaderless_ms: 0 });
    expect(first).not.toHaveProperty('leaderless_partitions');
    await harness.timers.advance(boundMs + 1);
    const down = await check();
    expect(down).toMatchObject({ status: 'down', leaderless_ms: boundMs + 1 });
    expect(down.message).toMatch(/^no leader for/);
    expect(down).not.toHaveProperty('leaderless_partitions');
    expect(holder).not.toHaveBeenCalled();
  });
});
