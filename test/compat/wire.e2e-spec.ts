/**
 * Wire compatibility with FastAPI Task Manager 1.1.1, endpoint by endpoint: every response carries the
 * original's fields with the original's JSON types, nullability and date format (`fastapi-task-manager.ts`),
 * plus only our documented additions; and the behaviours a client of the original relies on (allow_parallel,
 * function names, retry_delay, kwargs, run_date, unknown parameters, cron nicknames, URL-safe names).
 */
import { InvalidTaskDefinitionError } from 'nestjs-task-manager';
import { waitFor } from '../support/redis.js';
import { sleep } from '../support/task-app.js';
import { startApiApp, type ApiApp } from '../api/api-app.js';
import { ENDPOINTS, wireProblems, type ModelName } from './fastapi-task-manager.js';
import { NEVER, PlainTasks, QUICK_MS, ReportTasks, SLOW_MS } from './fixtures.js';

const BASE = '/task-manager';

/** How many runs start before the previous one ended. */
function overlaps(runs: ReadonlyArray<{ startedAt: number; endedAt?: number }>): number {
  const sorted = [...runs].sort((a, b) => a.startedAt - b.startedAt);
  return sorted.filter((run, i) => i > 0 && run.startedAt < (sorted[i - 1].endedAt ?? Infinity)).length;
}

describe('Wire compatibility with FastAPI Task Manager 1.1.1', () => {
  let api: ApiApp;
  const expectWire = (body: unknown, model: ModelName) => expect(wireProblems(body, model)).toEqual([]);
  const tasks = async (query: Record<string, string> = {}) =>
    (await api.http.get(`${BASE}/tasks`).query(query).expect(200)).body as Array<Record<string, unknown>>;
  const task = async (name: string) => (await tasks({ name }))[0];

  beforeAll(async () => {
    api = await startApiApp({
      groups: [ReportTasks, PlainTasks],
      label: 'compat',
      options: { retryBackoff: 1, retryBackoffMax: 60, retryBackoffMultiplier: 2, concurrentTasks: 4 },
    });
  });
  afterAll(async () => {
    await api?.dispose();
  });

  it('GET /health: HealthResponse', async () => {
    expectWire((await api.http.get(`${BASE}/health`).expect(200)).body, 'HealthResponse');
  });

  it('GET /config: ConfigResponse, counts and integer settings as integers', async () => {
    const body = (await api.http.get(`${BASE}/config`).expect(200)).body;
    expectWire(body, 'ConfigResponse');
    expect(body).toMatchObject({
      concurrent_tasks: 4,
      statistics_history_runs: 500,
      statistics_redis_expiration: 432000,
    });
  });

  it('GET /task-groups: TaskGroup, allow_parallel the group value (null when not set)', async () => {
    const body = (await api.http.get(`${BASE}/task-groups`).expect(200)).body;
    for (const group of body) expectWire(group, 'TaskGroup');
    expect(body).toEqual([
      { name: 'Reports', tags: ['reports'], allow_parallel: true, task_count: 7 },
      { name: 'Plain', tags: [], allow_parallel: null, task_count: 1 },
    ]);
  });

  it('GET /tasks: TaskDetailed; kwargs {} without kwargs; allow_parallel the task value (null: inherited)', async () => {
    const body = await tasks();
    for (const item of body) expectWire(item, 'TaskDetailed');
    const digest = body.find((t) => t.name === 'send_digest')!;
    expect(digest).toMatchObject({ kwargs: {}, allow_parallel: null, dynamic: false, function_name: null });
    expect((await task('exclusive')).allow_parallel).toBe(false);
  });

  it('GET /tasks/{group}/{task}/statistics: run_date is when the run finished, started_at when it started', async () => {
    await api.http.post(`${BASE}/tasks/trigger`).query({ task_name: 'quick' }).expect(200);
    let body: { runs: Array<Record<string, unknown>> } = { runs: [] };
    await waitFor(async () => {
      body = (await api.http.get(`${BASE}/tasks/Reports/quick/statistics`).expect(200)).body;
      return body.runs.length === 1;
    });
    expectWire(body, 'TaskStatistics');
    const [run] = body.runs;
    const finished = Date.parse(run.run_date as string);
    const started = Date.parse(run.started_at as string);
    expect(finished - started).toBeGreaterThanOrEqual(QUICK_MS - 5);
    expect(Math.abs(finished - started - (run.durations_second as number) * 1000)).toBeLessThanOrEqual(2);
  });

  it.each(ENDPOINTS.filter((e) => e.response === 'TaskActionResponse').map((e) => [e.method, e.path] as const))(
    '%s %s: TaskActionResponse',
    async (method, path) => {
      const res = await api.http[method](`${BASE}${path}`).query({ task_group_name: 'Plain' }).expect(200);
      expectWire(res.body, 'TaskActionResponse');
      expect(res.body).toEqual({ affected_tasks: [{ task_group: 'Plain', task: 'plain' }], count: 1 });
    },
  );

  it("GET /functions: RegisteredFunctionsResponse, a @Task's function under the task name", async () => {
    const body = (await api.http.get(`${BASE}/functions`).query({ task_group_name: 'Reports' }).expect(200)).body;
    expectWire(body, 'RegisteredFunctionsResponse');
    expect(body.functions.map((f: { function_name: string }) => f.function_name).sort()).toEqual(
      ['send_digest', 'send_report', 'slow'].sort(),
    );
  });

  it('POST /tasks: DynamicTaskResponse; the task name or the method name; allow_parallel stored and shown', async () => {
    const create = (body: Record<string, unknown>) =>
      api.http.post(`${BASE}/tasks`).send({ task_group_name: 'Reports', cron_expression: NEVER, ...body });
    const byTaskName = await create({ function_name: 'send_digest', name: 'from_task_name', allow_parallel: false });
    expect(byTaskName.status).toBe(200);
    expectWire(byTaskName.body, 'DynamicTaskResponse');
    // As the original: the request's kwargs echoed, null when not given.
    expect(byTaskName.body).toMatchObject({ function_name: 'send_digest', kwargs: null, dynamic: true });
    const byMethodName = await create({ function_name: 'sendDigest', name: 'from_method_name', allow_parallel: null });
    expect([byMethodName.status, byMethodName.body.function_name]).toEqual([200, 'send_digest']);

    expect(await task('from_task_name')).toMatchObject({
      allow_parallel: false,
      kwargs: {},
      function_name: 'send_digest',
    });
    expect((await task('from_method_name')).allow_parallel).toBeNull();
    expect((await create({ function_name: 'send_digest', allow_parallel: 'no' })).status).toBe(400);
  });

  it('DELETE /tasks: DynamicTaskResponse, kwargs {} for a task created without kwargs', async () => {
    await api.http
      .post(`${BASE}/tasks`)
      .send({ task_group_name: 'Reports', function_name: 'send_report', cron_expression: NEVER, name: 'doomed' })
      .expect(200);
    const res = await api.http.delete(`${BASE}/tasks`).query({ task_group_name: 'Reports', task_name: 'doomed' });
    expect(res.status).toBe(200);
    expectWire(res.body, 'DynamicTaskResponse');
    expect(res.body.kwargs).toEqual({});
  });

  it('retry_delay is the next delay (as the original), applied_retry_delay the one applied', async () => {
    await api.http.post(`${BASE}/tasks/trigger`).query({ task_name: 'flaky' }).expect(200);
    await api.http.post(`${BASE}/tasks/trigger`).query({ task_name: 'capped' }).expect(200);
    await waitFor(
      async () => (await task('flaky')).retry_after !== null && (await task('capped')).retry_after !== null,
    );
    const flaky = await task('flaky');
    expectWire(flaky, 'TaskDetailed');
    // One failure: the delay applied was the initial 1 s; the next one is 1 × multiplier 2.
    expect([flaky.applied_retry_delay, flaky.retry_delay]).toEqual([1, 2]);
    // Per-task backoff 40 s: the next delay, 80 s, is capped by the task's retryBackoffMax (60 s).
    const capped = await task('capped');
    expect([capped.applied_retry_delay, capped.retry_delay]).toEqual([40, 60]);
    await api.http.post(`${BASE}/tasks/reset-retry`).query({ tag: 'reports' }).expect(200);
    expect(await task('flaky')).toMatchObject({ retry_after: null, retry_delay: null, applied_retry_delay: null });
  });

  it('rejects an unknown query parameter on every endpoint that takes parameters, and changes nothing', async () => {
    for (const endpoint of ENDPOINTS) {
      const path = endpoint.path.replace('{task_group_name}', 'Reports').replace('{task_name}', 'send_digest');
      const params = Object.fromEntries(
        endpoint.parameters
          .filter((p) => p.in === 'query')
          .map((p) => [p.name, p.name === 'task_name' ? 'plain' : 'Plain']),
      );
      const req = api.http[endpoint.method](`${BASE}${path}`).query({ ...params, foo: 'bar' });
      const res = await (endpoint.body
        ? req.send({ task_group_name: 'Reports', function_name: 'send_report', cron_expression: NEVER, name: 'nope' })
        : req);
      const takesNone = endpoint.parameters.length === 0 && !endpoint.body;
      // /health and /config take nothing and ignore a query string, as the original does (probes add cache busters).
      expect([endpoint.method, endpoint.path, res.status]).toEqual([
        endpoint.method,
        endpoint.path,
        takesNone ? 200 : 400,
      ]);
      if (!takesNone) expect(res.body.detail).toBe('foo is not a known parameter');
    }
    expect(await tasks({ name: 'nope' })).toEqual([]);
    expect((await task('plain')).is_active).toBe(true);
  });

  it('cron input: the same nicknames and step rule for POST /tasks and TaskManagerService', async () => {
    const create = (cron: string, name: string) =>
      api.http
        .post(`${BASE}/tasks`)
        .send({ task_group_name: 'Reports', function_name: 'send_report', cron_expression: cron, name });
    expect((await create('@daily', 'nightly')).status).toBe(200);
    expect((await task('nightly')).expression).toBe('@daily');
    const refused = await create('*/61 * * * *', 'too_often');
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toMatch(/minute step "\/61" must be between 1 and 59/);
    await expect(
      api.service.createDynamicTask({
        groupName: 'Reports',
        functionName: 'send_report',
        cronExpression: '*/61 * * * *',
        name: 'too_often',
      }),
    ).rejects.toBeInstanceOf(InvalidTaskDefinitionError);
    expect(await tasks({ name: 'too_often' })).toEqual([]);
  });

  it('generated names need no percent-encoding: /tasks/Reports/multi-1/statistics', async () => {
    expect((await tasks({ task_group_name: 'Reports' })).map((t) => t.name)).toEqual(
      expect.arrayContaining(['multi-1', 'multi-2']),
    );
    const res = await api.http.get(`${BASE}/tasks/Reports/multi-1/statistics`).expect(200);
    expect(res.body).toMatchObject({ task_group_name: 'Reports', task_name: 'multi-1', runs: [] });
  });

  it('allow_parallel false on a dynamic task: persisted, known to another instance, and its runs never overlap', async () => {
    const other = await startApiApp({ groups: [ReportTasks, PlainTasks], prefix: api.prefix, api: null });
    try {
      const create = (name: string, allowParallel: boolean) =>
        api.http
          .post(`${BASE}/tasks`)
          .send({
            task_group_name: 'Reports',
            function_name: 'slow',
            cron_expression: '* * * * * *',
            name,
            allow_parallel: allowParallel,
          })
          .expect(200);
      await create('serial', false);
      await create('overlapping', true);
      await waitFor(() => other.service.listTasks({ name: 'serial' }).length === 1);
      expect(other.service.listTasks({ name: 'serial' })[0].allowParallel).toBe(false);
      await sleep(3 * SLOW_MS + 1000);
      const runs = (name: string) => [...api.log.of(name), ...other.log.of(name)];
      expect(runs('serial').length).toBeGreaterThanOrEqual(2);
      expect(overlaps(runs('serial'))).toBe(0);
      expect(overlaps(runs('overlapping'))).toBeGreaterThan(0);
      for (const name of ['serial', 'overlapping'])
        await api.http.delete(`${BASE}/tasks`).query({ task_group_name: 'Reports', task_name: name }).expect(200);
    } finally {
      await other.close();
    }
  }, 30_000);
});
