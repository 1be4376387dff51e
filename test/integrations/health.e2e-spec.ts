/**
 * `TaskManagerHealthIndicator` behind a real Terminus `/health` endpoint: up when healthy; down (503) when
 * Redis is unreachable, while the instance shuts down, and when the deployment (with several partitions: a
 * partition) has no leader for too long; overdue tasks (a slot passed without a run) and the leaderless
 * partitions reported in the details.
 */
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { Task, TaskGroup, type TaskManagerModuleOptions } from 'nestjs-task-manager';
import { TaskManagerKeys, encodeTaskId } from 'nestjs-task-manager/testing';
import {
  TaskManagerHealthIndicator,
  type TaskManagerHealthCheckOptions,
  type TaskManagerHealthDetails,
} from 'nestjs-task-manager/terminus';
import { leaderToken } from '../../libs/task-manager/src/wire/leader-token.js';
import { startApiApp, type ApiApp } from '../api/api-app.js';
import { redisUrl, startRedisServer, waitFor, type RedisServerHandle } from '../support/redis.js';

/** Options of the next checks (each test sets its own). */
const checkOptions: TaskManagerHealthCheckOptions = {};

/** Releases the handler of `Watched/slow` (it blocks until then). */
let releaseSlow: () => void = () => undefined;

@TaskGroup({ name: 'Watched' })
@Injectable()
class WatchedTasks {
  @Task('0 0 1 1 *', { name: 'yearly' })
  yearly() {}

  @Task('0 0 1 1 *', { name: 'slow' })
  async slow() {
    await new Promise<void>((resolve) => (releaseSlow = resolve));
  }
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly taskManager: TaskManagerHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.taskManager.isHealthy('task-manager', { ...checkOptions })]);
  }
}

@Module({
  // Failed checks are the point of these tests: keep Terminus from logging each one.
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [TaskManagerHealthIndicator],
})
class HealthModule {}

/** Starts an HTTP app with the indicator mounted on /health (no management API). */
function startHealthApp(options: Partial<TaskManagerModuleOptions> = {}, label = 'health'): Promise<ApiApp> {
  return startApiApp({ groups: [WatchedTasks], api: null, imports: [HealthModule], options, label });
}

/** The indicator's entry of a Terminus response body. */
function indicatorOf(body: { details: Record<string, TaskManagerHealthDetails & { status: string }> }) {
  return body.details['task-manager'];
}

describe('TaskManagerHealthIndicator', () => {
  let app: ApiApp | undefined;
  let server: RedisServerHandle | undefined;

  afterEach(async () => {
    releaseSlow();
    for (const key of Object.keys(checkOptions)) delete checkOptions[key as keyof TaskManagerHealthCheckOptions];
    await app?.dispose().catch(() => app?.close());
    app = undefined;
    await server?.stop();
    server = undefined;
  });

  it('is up with the leader, the workers and no overdue task when healthy', async () => {
    app = await startHealthApp();
    const workerId = app.service.workerId;
    await waitFor(() => app!.service.health().isLeader, { message: 'leadership' });

    const res = await app.http.get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(indicatorOf(res.body)).toEqual({
      status: 'up',
      worker_id: workerId,
      driver: 'redis',
      redis_connected: true,
      running: true,
      is_leader: true,
      leader: workerId,
      leaderless_ms: 0,
      workers: { count: 1, ids: [workerId] },
      overdue: { count: 0, tolerance_ms: 6000, tasks: [] },
    });
  });

  it('is down (503) while Redis is unreachable, and up again when it is back', async () => {
    server = await startRedisServer();
    app = await startHealthApp({ redis: server.url }, 'health-redis');
    await waitFor(() => app!.service.health().isLeader, { message: 'leadership' });
    await app.http.get('/health').expect(200);

    server.kill('SIGKILL');
    const down = await waitFor(
      async () => {
        const res = await app!.http.get('/health');
        return res.status === 503 ? res : undefined;
      },
      { message: 'a 503 from /health' },
    );
    expect(down.body.status).toBe('error');
    expect(down.body.error['task-manager']).toMatchObject({
      status: 'down',
      redis_connected: false,
      workers: null,
      overdue: null,
      message: expect.stringContaining('Redis'),
    });

    await server.restart();
    await waitFor(async () => (await app!.http.get('/health')).status === 200, {
      timeoutMs: 20_000,
      message: '/health answers 200 again',
    });
  });

  it('is down (503) while the instance shuts down, even while handlers still drain', async () => {
    app = await startHealthApp({ shutdownTimeoutMs: 20_000 }, 'health-shutdown');
    await waitFor(() => app!.service.health().isLeader, { message: 'leadership' });
    let slowStarted = false;
    const running = new Promise<void>((resolve) => {
      const timer = setInterval(async () => {
        const [view] = await app!.service.getTasks({ name: 'slow' });
        if (view?.isRunning) {
          slowStarted = true;
          clearInterval(timer);
          resolve();
        }
      }, 50);
    });
    await app.service.trigger({ name: 'slow' });
    await running;
    expect(slowStarted).toBe(true);

    const closing = app.close();
    const res = await waitFor(
      async () => {
        const r = await app!.http.get('/health');
        return r.status === 503 ? r : undefined;
      },
      { message: 'a 503 from /health during shutdown' },
    );
    expect(res.body.status).toBe('shutting_down');
    expect(res.body.details['task-manager']).toMatchObject({
      status: 'down',
      message: expect.stringContaining('shutting down'),
    });
    releaseSlow();
    await closing;
  });

  it('reports an overdue task, is down without a leader past the bound, and recovers once a leader runs', async () => {
    app = await startHealthApp({ autoStart: false }, 'health-overdue');
    const keys = new TaskManagerKeys(app.prefix);
    const slot = Date.now() - 60_000;
    const redis = new Redis(redisUrl());
    try {
      await redis.zadd(keys.schedule, slot, encodeTaskId('Watched', 'yearly'));
    } finally {
      redis.disconnect();
    }

    // No leader yet, but not for long: up, with the overdue task in the details.
    checkOptions.leaderlessToleranceMs = 400;
    const first = await app.http.get('/health').expect(200);
    const indicator = indicatorOf(first.body);
    expect(indicator).toMatchObject({ status: 'up', running: false, leader: null, leaderless_ms: 0 });
    expect(indicator.overdue).toMatchObject({
      count: 1,
      tasks: [{ group: 'Watched', task: 'yearly', next_run: new Date(slot).toISOString() }],
    });
    expect(indicator.overdue!.tasks[0].late_ms).toBeGreaterThanOrEqual(60_000);

    // failOnOverdue turns it into a failure.
    checkOptions.failOnOverdue = true;
    const failing = await app.http.get('/health').expect(503);
    expect(failing.body.error['task-manager'].message).toContain('1 task(s) overdue');
    checkOptions.failOnOverdue = false;

    // Still no leader after the (shortened) failover bound: down.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const leaderless = await app.http.get('/health').expect(503);
    expect(leaderless.body.error['task-manager']).toMatchObject({
      status: 'down',
      leader: null,
      message: expect.stringContaining('no leader'),
    });
    expect(leaderless.body.error['task-manager'].leaderless_ms).toBeGreaterThan(400);

    // A leader takes over and publishes the missed slot: up, nothing overdue.
    await app.service.start();
    const healthy = await waitFor(
      async () => {
        const res = await app!.http.get('/health');
        return res.status === 200 && indicatorOf(res.body).overdue?.count === 0 ? res : undefined;
      },
      { message: 'a healthy /health without overdue tasks' },
    );
    expect(indicatorOf(healthy.body)).toMatchObject({ leader: app.service.workerId, running: true });
  });

  it('with several partitions: lists the leaderless ones, is down past the bound naming them, up once each is led', async () => {
    app = await startHealthApp({ autoStart: false, partitions: 3 }, 'health-partitions');
    const keys = new TaskManagerKeys(app.prefix, 3);
    // Partitions 0 and 2 held by another instance (its leases, as acquire-leader writes them); 1 by nobody.
    const redis = new Redis(redisUrl());
    try {
      for (const index of [0, 2]) await redis.set(keys.partition(index).leader, leaderToken('other', 1), 'PX', 60_000);
    } finally {
      redis.disconnect();
    }

    checkOptions.leaderlessToleranceMs = 400;
    const first = await app.http.get('/health').expect(200);
    expect(indicatorOf(first.body)).toMatchObject({ status: 'up', leaderless_partitions: [1], leaderless_ms: 0 });

    // Partition 1 still without a leader after the (shortened) failover bound: down, naming it.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const leaderless = await app.http.get('/health').expect(503);
    expect(leaderless.body.error['task-manager']).toMatchObject({
      status: 'down',
      leaderless_partitions: [1],
      message: expect.stringContaining('partition 1 without a leader'),
    });
    expect(leaderless.body.error['task-manager'].leaderless_ms).toBeGreaterThan(400);

    // This instance starts and takes the free lease: up, no partition leaderless.
    await app.service.start();
    const healthy = await waitFor(
      async () => {
        const res = await app!.http.get('/health');
        return res.status === 200 && indicatorOf(res.body).leaderless_partitions?.length === 0 ? res : undefined;
      },
      { message: 'a healthy /health with every partition led' },
    );
    expect(indicatorOf(healthy.body)).toMatchObject({ leaderless_ms: 0, running: true });
    expect(await app.service.partitionLeaders()).toEqual([
      { workerId: 'other', epoch: 1 },
      { workerId: app.service.workerId, epoch: expect.any(Number) },
      { workerId: 'other', epoch: 1 },
    ]);
  });
});
