/**
 * `TaskManagerMetricsModule` behind a real `/metrics` endpoint: after a few runs the Prometheus text holds
 * the series with the right labels and values; the metrics leave the registry when the app closes.
 */
import { Controller, Get, Header, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { Task, TaskGroup, TaskManagerEvents, type TaskContext } from 'nestjs-task-manager';
import { TaskManagerMetrics, TaskManagerMetricsModule } from 'nestjs-task-manager/prometheus';
import { Registry, register } from 'prom-client';
import { startApiApp, type ApiApp } from '../api/api-app.js';
import { waitFor } from '../support/redis.js';

@TaskGroup({ name: 'Metered' })
@Injectable()
class MeteredTasks {
  @Task('0 0 1 1 *', { name: 'ok' })
  ok() {}

  @Task('0 0 1 1 *', { name: 'boom', retryBackoff: 600 })
  boom() {
    throw new Error('kaboom');
  }
}

/** Gates the `hold` task: each run waits until `release()`. */
let releaseHold: () => void = () => undefined;

@TaskGroup({ name: 'Signals' })
@Injectable()
class SignalTasks {
  @Task('0 0 1 1 *', { name: 'ok' })
  ok() {}

  @Task('0 0 1 1 *', { name: 'urgent', highPriority: true })
  urgent() {}

  @Task('0 0 1 1 *', { name: 'hold' })
  hold() {
    return new Promise<void>((resolve) => (releaseHold = resolve));
  }

  @Task('0 0 1 1 *', { name: 'slow', timeoutMs: 50, retryBackoff: 600 })
  slow(_kwargs: unknown, ctx: TaskContext) {
    return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
  }
}

@Controller('metrics')
class MetricsController {
  constructor(private readonly metrics: TaskManagerMetrics) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

/** A module serving `/metrics` from the given metrics module. */
function metricsEndpoint(metrics: DynamicModule): DynamicModule {
  @Module({ imports: [metrics], controllers: [MetricsController] })
  class MetricsEndpointModule {}
  return { module: MetricsEndpointModule };
}

/** One sample of the text exposition format. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample `name` whose labels are exactly `labels`, or undefined. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted)?.value;
}

describe('TaskManagerMetricsModule', () => {
  let app: ApiApp | undefined;
  afterEach(async () => {
    await app?.dispose();
    app = undefined;
  });

  /** The samples of one scrape of `/metrics`. */
  async function scrape(): Promise<Sample[]> {
    return parseSamples((await app!.http.get('/metrics').expect(200)).text);
  }

  /** Resolves when a run of `name` started (subscribe before triggering). */
  function started(name: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const off = app!.app.get(TaskManagerEvents).on('run.started', (e) => {
        if (e.taskName !== name) return;
        off();
        resolve();
      });
    });
  }

  /** Triggers `name` and waits for its end event. */
  async function runOnce(name: string): Promise<void> {
    const events = app!.app.get(TaskManagerEvents);
    const ended = new Promise<void>((resolve) => {
      const offs = [
        events.on('run.succeeded', (e) => e.taskName === name && done()),
        events.on('run.failed', (e) => e.taskName === name && done()),
      ];
      function done() {
        for (const off of offs) off();
        resolve();
      }
    });
    await app!.service.trigger({ name });
    await ended;
  }

  it('exposes runs, durations, lateness, running, leader, leadership and backoff series with their labels', async () => {
    const registry = new Registry();
    app = await startApiApp({
      groups: [MeteredTasks],
      api: null,
      imports: [metricsEndpoint(TaskManagerMetricsModule.forRoot({ registry, stateCacheMs: 0 }))],
      label: 'metrics',
    });
    await waitFor(() => app!.service.health().isLeader, { message: 'leadership' });
    await runOnce('ok');
    await runOnce('ok');
    await runOnce('boom');

    const res = await app.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const samples = parseSamples(res.text);
    const ok = { group: 'Metered', task: 'ok' };
    const boom = { group: 'Metered', task: 'boom' };
    expect(valueOf(samples, 'task_manager_runs_total', { ...ok, status: 'success' })).toBe(2);
    expect(valueOf(samples, 'task_manager_runs_total', { ...boom, status: 'failed' })).toBe(1);
    expect(valueOf(samples, 'task_manager_runs_total', { ...ok, status: 'failed' })).toBeUndefined();
    expect(valueOf(samples, 'task_manager_run_duration_seconds_count', { ...ok, status: 'success' })).toBe(2);
    expect(valueOf(samples, 'task_manager_run_duration_seconds_count', { ...boom, status: 'failed' })).toBe(1);
    expect(valueOf(samples, 'task_manager_run_lateness_seconds_count', ok)).toBe(2);
    expect(valueOf(samples, 'task_manager_run_lateness_seconds_count', boom)).toBe(1);
    expect(valueOf(samples, 'task_manager_run_lateness_seconds_bucket', { ...ok, le: '+Inf' })).toBe(2);
    expect(valueOf(samples, 'task_manager_run_lateness_seconds_sum', ok)).toBeGreaterThanOrEqual(0);
    expect(valueOf(samples, 'task_manager_runs_running', ok)).toBe(0);
    expect(valueOf(samples, 'task_manager_leader')).toBe(1);
    expect(valueOf(samples, 'task_manager_leadership_gained_total')).toBe(1);
    expect(valueOf(samples, 'task_manager_tasks_in_backoff')).toBe(1);
    expect(valueOf(samples, 'task_manager_tasks_overdue')).toBe(0);
    expect(valueOf(samples, 'task_manager_redis_connected')).toBe(1);
    expect(valueOf(samples, 'task_manager_runs_reclaimed_total')).toBeUndefined();

    // Nothing of it on prom-client's global registry.
    expect(register.getSingleMetric('task_manager_runs_total')).toBeUndefined();
  });

  it('registers on the global registry by default, with a custom prefix, and unregisters on close', async () => {
    app = await startApiApp({
      groups: [MeteredTasks],
      api: null,
      imports: [metricsEndpoint(TaskManagerMetricsModule.forRoot({ prefix: 'demo_tm_' }))],
      label: 'metrics-global',
    });
    await waitFor(() => app!.service.health().isLeader, { message: 'leadership' });
    await runOnce('ok');
    expect(register.getSingleMetric('demo_tm_runs_total')).toBeDefined();
    const samples = parseSamples(await register.metrics());
    expect(valueOf(samples, 'demo_tm_runs_total', { group: 'Metered', task: 'ok', status: 'success' })).toBe(1);
    expect(valueOf(samples, 'demo_tm_leader')).toBe(1);

    await app.close();
    // Closing removes them, so a new app in the same process registers them again without a clash.
    expect(register.getMetricsAsArray().filter((m) => m.name.startsWith('demo_tm_'))).toEqual([]);
  });

  it('exposes the last success time, the pending runs per priority, timeouts as their own status and the disabled tasks', async () => {
    const registry = new Registry();
    app = await startApiApp({
      groups: [SignalTasks],
      api: null,
      options: { concurrentTasks: 1 },
      imports: [metricsEndpoint(TaskManagerMetricsModule.forRoot({ registry, stateCacheMs: 0 }))],
      label: 'metrics-signals',
    });
    await waitFor(() => app!.service.health().isLeader, { message: 'leadership' });
    const ok = { group: 'Signals', task: 'ok' };
    const slow = { group: 'Signals', task: 'slow' };

    // Last success: absent before the first success, then the start of the latest one; it moves on.
    expect(valueOf(await scrape(), 'task_manager_last_success_timestamp_seconds', ok)).toBeUndefined();
    const before = Date.now() / 1000;
    await runOnce('ok');
    const first = valueOf(await scrape(), 'task_manager_last_success_timestamp_seconds', ok)!;
    expect(first).toBeGreaterThanOrEqual(before - 1);
    // (Start times are cluster times: allow for the estimate of the Redis clock.)
    expect(first).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await runOnce('ok');
    const second = valueOf(await scrape(), 'task_manager_last_success_timestamp_seconds', ok)!;
    expect(second).toBeGreaterThan(first);

    // A run aborted by its timeout counts as `timeout`, not `failed`.
    await runOnce('slow');
    let samples = await scrape();
    expect(valueOf(samples, 'task_manager_runs_total', { ...slow, status: 'timeout' })).toBe(1);
    expect(valueOf(samples, 'task_manager_runs_total', { ...slow, status: 'failed' })).toBeUndefined();
    expect(valueOf(samples, 'task_manager_run_duration_seconds_count', { ...slow, status: 'timeout' })).toBe(1);
    expect(valueOf(samples, 'task_manager_last_success_timestamp_seconds', slow)).toBeUndefined();

    // Queue depth: with the only slot held, runs triggered meanwhile wait in their priority's queue.
    const pending = (priority: string, state: string) =>
      valueOf(samples, 'task_manager_runs_pending', { priority, state });
    samples = await scrape();
    expect([pending('high', 'queued'), pending('normal', 'queued'), pending('normal', 'delivered')]).toEqual([0, 0, 0]);
    const holding = started('hold');
    await app.service.trigger({ name: 'hold' });
    await holding;
    await app.service.trigger({ name: 'ok' });
    await app.service.trigger({ name: 'urgent' });
    await waitFor(
      async () => {
        samples = await scrape();
        return pending('high', 'queued') === 1 && pending('normal', 'queued') === 1;
      },
      { message: 'two queued runs' },
    );
    expect(pending('normal', 'delivered')).toBe(1);
    expect(pending('high', 'delivered')).toBe(0);
    releaseHold();
    await waitFor(
      async () => {
        samples = await scrape();
        return [pending('high', 'queued'), pending('normal', 'queued'), pending('normal', 'delivered')].every(
          (v) => v === 0,
        );
      },
      { message: 'the queues drained' },
    );

    // Disabled tasks, deployment-wide.
    expect(valueOf(samples, 'task_manager_tasks_disabled')).toBe(0);
    await app.service.disable({ name: 'urgent' });
    await app.service.disable({ name: 'slow' });
    expect(valueOf(await scrape(), 'task_manager_tasks_disabled')).toBe(2);
    await app.service.enable({ name: 'slow' });
    expect(valueOf(await scrape(), 'task_manager_tasks_disabled')).toBe(1);
  });
});
