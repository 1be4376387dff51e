/**
 * Dynamic tasks through the management API on one instance: POST /tasks and DELETE /tasks, FastAPI Task Manager's
 * status codes (200, 400, 404, 409, 413), kwargs DTO validation, auto names and odd characters.
 */
import { Redis } from 'ioredis';
import { redisUrl, waitFor } from '../support/redis.js';
import { sleep } from '../support/task-app.js';
import { keysOf, shape, SHAPES, startApiApp, type ApiApp } from './api-app.js';
import { ApiTasks, NEVER, ODD_GROUP, OddTasks } from './fixtures.js';

const BASE = '/task-manager';

describe('management API: dynamic tasks', () => {
  let api: ApiApp;
  let redis: Redis;

  beforeAll(async () => {
    api = await startApiApp({ groups: [ApiTasks, OddTasks], label: 'api-dynamic' });
    redis = new Redis(redisUrl());
  });
  afterAll(async () => {
    redis?.disconnect();
    await api?.dispose();
  });

  const listed = async (name: string) =>
    (await api.http.get(`${BASE}/tasks`).query({ name }).expect(200)).body as Array<Record<string, unknown>>;
  const persisted = async () => Object.keys(await redis.hgetall(`{${api.prefix}}:dynamic`));

  it('POST /tasks creates a task (200, DynamicTaskResponse) that is listed and runs', async () => {
    const res = await api.http
      .post(`${BASE}/tasks`)
      .send({
        task_group_name: 'Api',
        function_name: 'echo',
        cron_expression: '* * * * * *',
        kwargs: { recipient: 'ops@example.com', nested: { list: [1, 2] } },
        name: 'every_second',
        description: 'Echo every second',
        high_priority: true,
        tags: ['dyn', 'dyn'],
        retry_backoff: 5,
        retry_backoff_max: 120,
      })
      .expect(200);
    expect(keysOf(res.body)).toEqual(shape(SHAPES.dynamicTask));
    expect(res.body).toEqual({
      task_group_name: 'Api',
      task_name: 'every_second',
      function_name: 'echo',
      cron_expression: '* * * * * *',
      kwargs: { recipient: 'ops@example.com', nested: { list: [1, 2] } },
      dynamic: true,
      time_zone: 'UTC',
    });

    const [task] = await listed('every_second');
    expect(task).toMatchObject({
      name: 'every_second',
      description: 'Echo every second',
      tags: ['api', 'dyn'],
      expression: '* * * * * *',
      high_priority: true,
      retry_backoff: 5,
      retry_backoff_max: 120,
      dynamic: true,
      task_group_name: 'Api',
      kwargs: { recipient: 'ops@example.com', nested: { list: [1, 2] } },
      function_name: 'echo',
      is_active: true,
    });
    await waitFor(() => api.log.of('every_second').length > 0, {
      message: 'a run of the dynamic task',
      timeoutMs: 5000,
    });
    expect(api.log.of('every_second')[0].kwargs).toEqual({ recipient: 'ops@example.com', nested: { list: [1, 2] } });
  });

  it('POST /tasks with the name of an existing task answers 409 and changes nothing', async () => {
    const before = await persisted();
    for (const name of ['every_second', 'static_task']) {
      const res = await api.http
        .post(`${BASE}/tasks`)
        .send({ task_group_name: 'Api', function_name: 'echo', cron_expression: NEVER, name })
        .expect(409);
      expect(res.body).toEqual({ detail: `A task named "${name}" already exists in group "Api"` });
    }
    expect(await persisted()).toEqual(before);
  });

  it('DELETE /tasks deletes a dynamic task everywhere (DynamicTaskResponse), then 404', async () => {
    const res = await api.http
      .delete(`${BASE}/tasks`)
      .query({ task_group_name: 'Api', task_name: 'every_second' })
      .expect(200);
    expect(res.body).toEqual({
      task_group_name: 'Api',
      task_name: 'every_second',
      function_name: 'echo',
      cron_expression: '* * * * * *',
      kwargs: { recipient: 'ops@example.com', nested: { list: [1, 2] } },
      dynamic: true,
      time_zone: 'UTC',
    });
    expect(await listed('every_second')).toEqual([]);
    expect(await persisted()).not.toContain('Api/every_second');
    const runs = api.log.of('every_second').length;
    await sleep(2500);
    expect(api.log.of('every_second').length).toBeLessThanOrEqual(runs + 1); // at most one run already started
    const again = await api.http.delete(`${BASE}/tasks`).query({ task_group_name: 'Api', task_name: 'every_second' });
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ detail: 'No dynamic task "every_second" in group "Api"' });
  });

  it('DELETE /tasks of a static task answers 400; of an unknown group 404', async () => {
    const staticTask = await api.http
      .delete(`${BASE}/tasks`)
      .query({ task_group_name: 'Api', task_name: 'static_task' });
    expect(staticTask.status).toBe(400);
    expect(staticTask.body.detail).toMatch(/static_task.*static/);
    expect(await listed('static_task')).toHaveLength(1);
    const group = await api.http.delete(`${BASE}/tasks`).query({ task_group_name: 'Nope', task_name: 'x' }).expect(404);
    expect(group.body).toEqual({ detail: 'Task group "Nope" does not exist' });
  });

  it('gives an omitted name a short, stable, readable default', async () => {
    const body = { task_group_name: 'Api', function_name: 'echo', cron_expression: NEVER, kwargs: { b: 2, a: 1 } };
    const first = await api.http.post(`${BASE}/tasks`).send(body).expect(200);
    expect(first.body.task_name).toMatch(/^echo_[0-9a-f]{8}$/);
    await api.http
      .delete(`${BASE}/tasks`)
      .query({ task_group_name: 'Api', task_name: first.body.task_name })
      .expect(200);
    const second = await api.http
      .post(`${BASE}/tasks`)
      .send({ ...body, kwargs: { a: 1, b: 2 } })
      .expect(200);
    expect(second.body.task_name).toBe(first.body.task_name);
    const conflict = await api.http.post(`${BASE}/tasks`).send(body).expect(409);
    expect(conflict.body.detail).toContain(first.body.task_name);
  });

  it("validates kwargs with the function's DTO (400 with the messages), then runs with them", async () => {
    const bad = await api.http
      .post(`${BASE}/tasks`)
      .send({
        task_group_name: 'Api',
        function_name: 'send_email',
        cron_expression: NEVER,
        kwargs: { recipient: 'nope', x: 1 },
      })
      .expect(400);
    expect(bad.body.detail).toMatch(/Invalid kwargs for function "send_email"/);
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([expect.stringMatching(/recipient.*email/), expect.stringMatching(/kwargs\.x/)]),
    );
    const ok = await api.http
      .post(`${BASE}/tasks`)
      .send({
        task_group_name: 'Api',
        function_name: 'send_email',
        cron_expression: NEVER,
        kwargs: { recipient: 'a@example.com' },
        name: 'mail',
      })
      .expect(200);
    expect(ok.body.kwargs).toEqual({ recipient: 'a@example.com' });
    await api.http.post(`${BASE}/tasks/trigger`).query({ task_group_name: 'Api', name: 'mail' }).expect(200);
    await waitFor(() => api.log.of('mail').length === 1, { message: 'triggered dynamic run' });
    expect(api.log.of('mail')[0].kwargs).toMatchObject({ recipient: 'a@example.com' });
  });

  it('accepts a time zone (not in FastAPI Task Manager) and reports it', async () => {
    const res = await api.http
      .post(`${BASE}/tasks`)
      .send({
        task_group_name: 'Api',
        function_name: 'echo',
        cron_expression: '0 9 * * MON',
        name: 'paris',
        time_zone: 'Europe/Paris',
      })
      .expect(200);
    expect(res.body.time_zone).toBe('Europe/Paris');
    const [task] = await listed('paris');
    expect(task.time_zone).toBe('Europe/Paris');
    // 09:00 in Paris is 07:00 or 08:00 UTC.
    expect(task.next_run).toMatch(/T0[78]:00:00Z$/);
  });

  it('handles names with "/", "%", "?", "#", spaces and non-ASCII characters end to end', async () => {
    const name = 'report/2026 100% ?#é';
    await api.http
      .post(`${BASE}/tasks`)
      .send({ task_group_name: ODD_GROUP, function_name: 'noop', cron_expression: NEVER, name })
      .expect(200);
    const stats = await api.http
      .get(`${BASE}/tasks/${encodeURIComponent(ODD_GROUP)}/${encodeURIComponent(name)}/statistics`)
      .expect(200);
    expect(stats.body).toMatchObject({ task_group_name: ODD_GROUP, task_name: name });
    const disabled = await api.http
      .post(`${BASE}/tasks/disable`)
      .query({ task_group_name: ODD_GROUP, task_name: name });
    expect(disabled.body).toEqual({ affected_tasks: [{ task_group: ODD_GROUP, task: name }], count: 1 });
    await api.http.delete(`${BASE}/tasks`).query({ task_group_name: ODD_GROUP, task_name: name }).expect(200);
    expect(await listed(name)).toEqual([]);
  });

  it('answers 413 for kwargs over maxKwargsBytes, and 404 for an unknown group', async () => {
    const big = await api.http
      .post(`${BASE}/tasks`)
      .send({
        task_group_name: 'Api',
        function_name: 'echo',
        cron_expression: NEVER,
        kwargs: { blob: 'x'.repeat(70_000) },
      })
      .expect(413);
    expect(big.body.detail).toMatch(/kwargs are \d+ bytes as JSON; the limit is 65536 bytes/);
    const group = await api.http
      .post(`${BASE}/tasks`)
      .send({ task_group_name: 'Nope', function_name: 'echo', cron_expression: NEVER })
      .expect(404);
    expect(group.body).toEqual({ detail: 'Task group "Nope" does not exist' });
  });
});
