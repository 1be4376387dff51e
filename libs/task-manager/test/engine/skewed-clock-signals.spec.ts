/**
 * The health indicator and the metrics compare next runs and retry times (cluster times) with the cluster's
 * clock: a host whose clock is skewed neither sees tasks overdue that are not, nor misses tasks that are.
 * (On the in-process driver and fake time; `Date` is faked too, to show this host's skewed clock.)
 */
import { HealthIndicatorService } from '@nestjs/terminus';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TaskManagerMetrics } from '../../src/integrations/prometheus/task-manager.metrics.js';
import { resolveMetricsOptions } from '../../src/integrations/prometheus/resolve-metrics-options.js';
import { TaskManagerHealthIndicator } from '../../src/integrations/terminus/task-manager.health-indicator.js';
import { TaskManagerService } from '../../src/task-manager.service.js';
import { makeTask } from '../support/task-definition.fixture.js';
import { EngineHarness, type Instance } from './engine-harness.js';

const MINUTELY = '* * * * *';
const TEN_MINUTES = 600_000;

describe('health and metrics on a host with a skewed clock', () => {
  let harness: EngineHarness;
  beforeEach(() => void vi.useFakeTimers({ toFake: ['Date'] }));
  afterEach(async () => {
    vi.useRealTimers();
    await harness.stopAll();
  });

  /** One running instance whose host clock is `skewMs` ahead, with a minutely task; `leads`: it may lead. */
  async function skewedInstance(skewMs: number, leads: boolean) {
    harness = new EngineHarness();
    const { timers, store } = harness;
    const a = harness.instance('a', [makeTask({ name: 'tick', expression: MINUTELY })], {}, skewMs);
    // This host's Date.now() is its skewed clock.
    const syncDate = () => vi.setSystemTime(timers.now() + skewMs);
    if (!leads) a.port.leadership.acquire = async () => ({ retryInMs: 1000, serverTime: store.now() });
    syncDate();
    await harness.start(a);
    if (leads) await timers.until(() => a.orchestrator.isLeader);
    await timers.advance(TEN_MINUTES);
    syncDate();
    return a;
  }

  /** What the health check and the metrics say of `a` now. */
  async function signals(a: Instance) {
    const service = new TaskManagerService(a.registry, a.orchestrator, a.port, a.worker, a.options);
    const health = await new TaskManagerHealthIndicator(new HealthIndicatorService(), service).isHealthy('tasks', {
      failOnOverdue: true,
    });
    const registry = new Registry();
    const metrics = new TaskManagerMetrics(
      resolveMetricsOptions({ registry, stateCacheMs: 0 }),
      a.events,
      service,
      a.port,
    );
    const gauge = async (name: string) =>
      (await registry.getSingleMetric(`task_manager_${name}`)!.get()).values.at(0)?.value;
    const overdueGauge = await gauge('tasks_overdue');
    metrics.onApplicationShutdown();
    return { health: health.tasks, overdueGauge };
  }

  it('does not report tasks overdue when this host clock runs ahead', async () => {
    const a = await skewedInstance(TEN_MINUTES, true);
    const { health, overdueGauge } = await signals(a);
    expect(health).toMatchObject({ status: 'up', overdue: { count: 0 } });
    expect(overdueGauge).toBe(0);
  });

  it('reports overdue tasks when nobody publishes, although this host clock runs behind', async () => {
    const a = await skewedInstance(-TEN_MINUTES, false);
    const { health, overdueGauge } = await signals(a);
    expect(health).toMatchObject({ status: 'down', overdue: { count: 1 } });
    expect(overdueGauge).toBe(1);
  });
});
