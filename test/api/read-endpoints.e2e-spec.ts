/**
 * Read endpoints of the management API: GET /health, /workers, /config, /task-groups, /tasks (every filter,
 * paging), /tasks/{group}/{task}/statistics and /functions, asserting the exact response shapes.
 */
import { waitFor } from '../support/redis.js';
import { ISO_UTC, keysOf, shape, SHAPES, startApiApp, type ApiApp } from './api-app.js';
import { ApiTasks, NEVER, ODD_GROUP, ODD_TASK, OddTasks, OtherTasks } from './fixtures.js';

const BASE = '/task-manager';

describe('management API: read endpoints', () => {
  let api: ApiApp;

  beforeAll(async () => {
    api = await startApiApp({
      groups: [ApiTasks, OtherTasks, OddTasks],
      label: 'api-read',
    });
  });
  afterAll(() => api?.dispose());

  describe('GET /health', () => {
    it('reports this instance in the HealthResponse shape', async () => {
      const res = await api.http.get(`${BASE}/health`).expect(200);
      expect(keysOf(res.body)).toEqual(shape(SHAPES.health));
      expect(res.body).toMatchObject({ status: 'healthy', redis_connected: true, worker_id: api.service.workerId });
      expect(res.body.worker_started_at).toMatch(ISO_UTC);
      expect(typeof res.body.is_leader).toBe('boolean');
    });
  });

  describe('GET /workers (not in FastAPI Task Manager)', () => {
    it('lists the live instances with their leadership', async () => {
      const res = await waitFor(
        async () => {
          const answer = await api.http.get(`${BASE}/workers`).expect(200);
          const self = answer.body.find((w: { worker_id: string }) => w.worker_id === api.service.workerId);
          return self?.is_leader ? answer : undefined;
        },
        { message: 'this instance listed as the leader' },
      );
      expect(res.body).toHaveLength(1);
      const [worker] = res.body;
      expect(keysOf(worker)).toEqual(shape(SHAPES.worker));
      expect(worker).toMatchObject({ pid: process.pid, is_leader: true, running: expect.any(Number) });
      expect(typeof worker.host).toBe('string');
      expect(worker.started_at).toMatch(ISO_UTC);
      expect(worker.last_seen).toMatch(ISO_UTC);
      expect(Date.parse(worker.last_seen)).toBeGreaterThanOrEqual(Date.parse(worker.started_at));
    });
  });

  describe('GET /config', () => {
    it("reports the options in force in FastAPI Task Manager's snake_case names", async () => {
      const res = await api.http.get(`${BASE}/config`).expect(200);
      const o = api.service.config();
      expect(res.body).toEqual({
        redis_key_prefix: api.prefix,
        concurrent_tasks: o.concurrentTasks,
        statistics_redis_expiration: o.statisticsRedisExpiration,
        statistics_history_runs: o.statisticsHistoryRuns,
        allow_parallel: o.allowParallel,
        redis_host: o.redis.host,
        redis_port: o.redis.port,
        redis_db: 0,
        poll_interval: o.pollInterval,
        worker_service_name: o.workerServiceName,
        stream_block_ms: o.streamBlockMs,
        leader_heartbeat_interval: o.leaderHeartbeatInterval,
        leader_retry_interval: o.leaderRetryInterval,
        reconciliation_interval: o.reconciliationInterval,
        retry_backoff: o.retryBackoff,
        retry_backoff_max: o.retryBackoffMax,
        retry_backoff_multiplier: o.retryBackoffMultiplier,
        running_heartbeat_interval: o.runningHeartbeatInterval,
        time_zone: 'UTC',
        misfire_policy: 'runOnce',
        misfire_tolerance_ms: o.misfireToleranceMs,
        misfire_max_runs: o.misfireMaxRuns,
        shutdown_timeout_ms: o.shutdownTimeoutMs,
        orphaned_task_grace_period: 3600,
        max_deliveries: 3,
        wait_for_replicas: 0,
        wait_for_replicas_timeout_ms: 500,
        max_kwargs_bytes: 65536,
        auto_start: true,
        partitions: 1,
      });
      for (const key of ['concurrent_tasks', 'statistics_redis_expiration', 'poll_interval', 'stream_block_ms'])
        expect(typeof res.body[key]).toBe('number');
      expect(typeof res.body.redis_host).toBe('string');
    });

    it('never exposes the password, the username, the URL or TLS material', async () => {
      // autoStart false: the app never connects to this (fake) server, /config needs no Redis.
      const secret = await startApiApp({
        groups: [],
        label: 'api-config',
        options: {
          autoStart: false,
          redis: {
            url: 'rediss://admin-user:s3cr3t-pw@redis.internal.example:6380/2',
            tls: { ca: '-----BEGIN CERTIFICATE-----MATERIAL', key: 'PRIVATE-KEY-MATERIAL' },
          },
          timeZone: 'Europe/Paris',
          concurrentTasks: 7,
        },
      });
      try {
        const res = await secret.http.get(`${BASE}/config`).expect(200);
        expect(res.body).toMatchObject({
          redis_host: 'redis.internal.example',
          redis_port: 6380,
          redis_db: 2,
          time_zone: 'Europe/Paris',
          concurrent_tasks: 7,
          auto_start: false,
        });
        const text = JSON.stringify(res.body);
        for (const leak of ['s3cr3t', 'admin-user', 'rediss:', 'CERTIFICATE', 'PRIVATE-KEY', 'password', 'tls', 'url'])
          expect(text).not.toContain(leak);
      } finally {
        await secret.close();
      }
    });
  });

  describe('GET /task-groups', () => {
    it('lists every group with its tags and task count', async () => {
      const res = await api.http.get(`${BASE}/task-groups`).expect(200);
      expect(res.body).toEqual([
        { name: 'Api', tags: ['api'], allow_parallel: null, task_count: 3 },
        { name: 'Other', tags: ['other'], allow_parallel: null, task_count: 1 },
        { name: ODD_GROUP, tags: [], allow_parallel: null, task_count: 1 },
      ]);
      for (const group of res.body) expect(keysOf(group)).toEqual(shape(SHAPES.taskGroup));
    });

    it('filters by exact name and by tag', async () => {
      expect((await api.http.get(`${BASE}/task-groups`).query({ name: 'Other' }).expect(200)).body).toEqual([
        { name: 'Other', tags: ['other'], allow_parallel: null, task_count: 1 },
      ]);
      expect((await api.http.get(`${BASE}/task-groups`).query({ name: 'Oth' }).expect(200)).body).toEqual([]);
      expect((await api.http.get(`${BASE}/task-groups`).query({ tag: 'api' }).expect(200)).body).toEqual([
        { name: 'Api', tags: ['api'], allow_parallel: null, task_count: 3 },
      ]);
      expect((await api.http.get(`${BASE}/task-groups`).query({ name: 'Api', tag: 'other' }).expect(200)).body).toEqual(
        [],
      );
    });
  });

  describe('GET /tasks', () => {
    it('lists every task in the TaskDetailed shape, nulls included', async () => {
      const res = await api.http.get(`${BASE}/tasks`).expect(200);
      expect(res.body.map((t: { name: string }) => t.name)).toEqual([
        'static_task',
        'with_kwargs',
        'flaky',
        'other_task',
        ODD_TASK,
      ]);
      for (const task of res.body) expect(keysOf(task)).toEqual(shape(SHAPES.taskDetailed));
      const staticTask = res.body[0];
      expect(staticTask).toEqual({
        name: 'static_task',
        description: 'A static task',
        tags: ['api', 'static'],
        expression: NEVER,
        high_priority: false,
        retry_backoff: null,
        retry_backoff_max: null,
        dynamic: false,
        allow_parallel: null,
        task_group_name: 'Api',
        kwargs: {},
        function_name: null,
        next_run: staticTask.next_run,
        is_active: true,
        is_running: false,
        retry_after: null,
        retry_delay: null,
        applied_retry_delay: null,
        time_zone: 'UTC',
        last_status: null,
        last_run: null,
        max_attempts: 1,
        timeout_ms: null,
        misfire_policy: 'runOnce',
      });
      expect(staticTask.next_run).toMatch(/^\d{4}-01-01T00:00:00Z$/);
      expect(res.body[1]).toMatchObject({
        name: 'with_kwargs',
        description: null,
        high_priority: true,
        retry_backoff: 2,
        retry_backoff_max: 10,
        kwargs: { a: 1 },
      });
    });

    it('filters by task_group_name, name, task_name (alias) and tag, combined with AND', async () => {
      const names = async (query: Record<string, string | number>) =>
        (await api.http.get(`${BASE}/tasks`).query(query).expect(200)).body.map((t: { name: string }) => t.name);
      expect(await names({ task_group_name: 'Other' })).toEqual(['other_task']);
      expect(await names({ name: 'flaky' })).toEqual(['flaky']);
      expect(await names({ task_name: 'flaky' })).toEqual(['flaky']);
      expect(await names({ name: 'flaky', task_name: 'flaky' })).toEqual(['flaky']);
      expect(await names({ tag: 'static' })).toEqual(['static_task']);
      expect(await names({ tag: 'api' })).toEqual(['static_task', 'with_kwargs', 'flaky', 'other_task']);
      expect(await names({ tag: 'api', task_group_name: 'Other' })).toEqual(['other_task']);
      expect(await names({ task_group_name: 'Other', name: 'flaky' })).toEqual([]);
      expect(await names({ task_group_name: 'Nope' })).toEqual([]);
      expect(await names({ task_group_name: ODD_GROUP, name: ODD_TASK })).toEqual([ODD_TASK]);
    });

    it('pages with limit and offset (absent: all)', async () => {
      const names = async (query: Record<string, string | number>) =>
        (await api.http.get(`${BASE}/tasks`).query(query).expect(200)).body.map((t: { name: string }) => t.name);
      expect(await names({ limit: 2 })).toEqual(['static_task', 'with_kwargs']);
      expect(await names({ limit: 2, offset: 2 })).toEqual(['flaky', 'other_task']);
      expect(await names({ offset: 4 })).toEqual([ODD_TASK]);
      expect(await names({ offset: 10 })).toEqual([]);
      expect(await names({ tag: 'api', offset: 1, limit: 1 })).toEqual(['with_kwargs']);
    });

    it('answers a page byte for byte as the same tasks in the whole listing, states included', async () => {
      const whole = (await api.http.get(`${BASE}/tasks`).expect(200)).body as unknown[];
      expect(whole.length).toBeGreaterThan(3);
      for (const [offset, limit] of [
        [0, 1],
        [1, 2],
        [3, 10],
        [whole.length - 1, 1],
      ]) {
        const page = await api.http.get(`${BASE}/tasks`).query({ offset, limit }).expect(200);
        expect(page.text, `offset ${offset}, limit ${limit}`).toBe(JSON.stringify(whole.slice(offset, offset + limit)));
      }
    });
  });

  describe('GET /tasks/{task_group_name}/{task_name}/statistics', () => {
    it('is empty before any run', async () => {
      const res = await api.http.get(`${BASE}/tasks/Api/static_task/statistics`).expect(200);
      expect(res.body).toEqual({
        task_group_name: 'Api',
        task_name: 'static_task',
        runs: [],
        summary: {
          count: 0,
          failures: 0,
          last_success: null,
          last_failure: null,
          p50_duration_second: null,
          p95_duration_second: null,
        },
      });
    });

    it('lists runs with outcome, error, worker and slot, and a summary', async () => {
      await api.http.post(`${BASE}/tasks/trigger`).query({ name: 'flaky' }).expect(200);
      await waitFor(async () => (await api.service.getRunHistory('Api', 'flaky')).length === 1, {
        message: 'first run',
      });
      await api.http.post(`${BASE}/tasks/trigger`).query({ name: 'flaky' }).expect(200);
      await waitFor(async () => (await api.service.getRunHistory('Api', 'flaky')).length === 2, {
        message: 'second run',
      });

      const res = await api.http.get(`${BASE}/tasks/Api/flaky/statistics`).expect(200);
      expect(keysOf(res.body)).toEqual(shape(SHAPES.statistics));
      expect(res.body.runs).toHaveLength(2);
      for (const run of res.body.runs) {
        expect(keysOf(run)).toEqual(shape(SHAPES.run));
        expect(run.run_date).toMatch(ISO_UTC);
        expect(run.started_at).toMatch(ISO_UTC);
        // run_date is when the run finished (as FastAPI Task Manager records it), started_at when it started.
        expect(Date.parse(run.run_date)).toBeGreaterThanOrEqual(Date.parse(run.started_at));
        expect(run.scheduled_at).toMatch(ISO_UTC);
        expect(typeof run.durations_second).toBe('number');
        expect(run.worker_id).toBe(api.service.workerId);
      }
      const [failed, succeeded] = res.body.runs;
      expect(failed).toMatchObject({ status: 'failed', error: expect.stringContaining('boom') });
      expect(succeeded).toMatchObject({ status: 'success', error: null });
      expect(keysOf(res.body.summary)).toEqual(shape(SHAPES.summary));
      expect(res.body.summary).toMatchObject({
        count: 2,
        failures: 1,
        last_success: succeeded.started_at,
        last_failure: failed.started_at,
      });
      expect(typeof res.body.summary.p50_duration_second).toBe('number');
      expect(res.body.summary.p95_duration_second).toBeGreaterThanOrEqual(res.body.summary.p50_duration_second);

      // GET /tasks reports the latest outcome and when it started (not in FastAPI Task Manager).
      const [task] = (await api.http.get(`${BASE}/tasks`).query({ name: 'flaky' }).expect(200)).body;
      expect(task).toMatchObject({ last_status: 'success', last_run: succeeded.started_at });
    });

    it('accepts percent-encoded group and task names (with "/", "%", "?", "#", spaces, non-ASCII)', async () => {
      const path = `${BASE}/tasks/${encodeURIComponent(ODD_GROUP)}/${encodeURIComponent(ODD_TASK)}/statistics`;
      const res = await api.http.get(path).expect(200);
      expect(res.body).toMatchObject({ task_group_name: ODD_GROUP, task_name: ODD_TASK, runs: [] });
    });

    it('answers 404 with a detail for an unknown task or group', async () => {
      const unknownTask = await api.http.get(`${BASE}/tasks/Api/nope/statistics`).expect(404);
      expect(unknownTask.body).toEqual({ detail: 'No task "nope" in group "Api"' });
      const unknownGroup = await api.http.get(`${BASE}/tasks/Nope/static_task/statistics`).expect(404);
      expect(unknownGroup.body.detail).toMatch(/Nope/);
    });
  });

  describe('GET /functions', () => {
    it('lists registered functions, optionally of one group', async () => {
      const all = await api.http.get(`${BASE}/functions`).expect(200);
      expect(keysOf(all.body)).toEqual(shape(SHAPES.functions));
      const names = all.body.functions.map((f: { task_group_name: string; function_name: string }) => {
        expect(keysOf(f)).toEqual(shape(SHAPES.function));
        return `${f.task_group_name}:${f.function_name}`;
      });
      // @Task methods register themselves too, under the task's name (as FastAPI Task Manager lists them),
      // unless `register: false`; the method name is only an alias.
      expect(names).toEqual(
        expect.arrayContaining(['Api:echo', 'Api:send_email', 'Api:static_task', `${ODD_GROUP}:noop`]),
      );
      expect(names).not.toContain('Api:staticTask');
      expect(all.body.count).toBe(names.length);

      const api_ = await api.http.get(`${BASE}/functions`).query({ task_group_name: ODD_GROUP }).expect(200);
      expect(api_.body.functions.map((f: { function_name: string }) => f.function_name).sort()).toEqual(
        [ODD_TASK, 'noop'].sort(),
      );
      expect((await api.http.get(`${BASE}/functions`).query({ task_group_name: 'Nope' }).expect(200)).body).toEqual({
        functions: [],
        count: 0,
      });
    });
  });
});
