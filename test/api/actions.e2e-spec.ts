/**
 * Bulk actions of the management API: POST /tasks/disable, /enable, /trigger, /reset-retry and
 * DELETE /tasks/statistics, with every filter; `{affected_tasks, count}` answers, 404 when nothing matches.
 */
import { waitFor } from '../support/redis.js';
import { keysOf, shape, SHAPES, startApiApp, type ApiApp } from './api-app.js';
import { ApiTasks, OddTasks, ODD_GROUP, ODD_TASK, OtherTasks } from './fixtures.js';

const BASE = '/task-manager';

describe('management API: bulk actions', () => {
  let api: ApiApp;

  beforeAll(async () => {
    api = await startApiApp({ groups: [ApiTasks, OtherTasks, OddTasks], label: 'api-actions' });
  });
  afterAll(() => api?.dispose());

  const active = async () =>
    Object.fromEntries(
      (await api.http.get(`${BASE}/tasks`).expect(200)).body.map((t: { name: string; is_active: boolean }) => [
        t.name,
        t.is_active,
      ]),
    );

  it.each([
    ['task_group_name', { task_group_name: 'Other' }, [['Other', 'other_task']]],
    ['name', { name: 'flaky' }, [['Api', 'flaky']]],
    ['task_name', { task_name: 'with_kwargs' }, [['Api', 'with_kwargs']]],
    ['tag', { tag: 'static' }, [['Api', 'static_task']]],
    [
      'group + tag',
      { task_group_name: 'Api', tag: 'api' },
      [
        ['Api', 'static_task'],
        ['Api', 'with_kwargs'],
        ['Api', 'flaky'],
      ],
    ],
    ['percent-encoded names', { task_group_name: ODD_GROUP, task_name: ODD_TASK }, [[ODD_GROUP, ODD_TASK]]],
  ])('disable then enable by %s', async (_label, query, expected) => {
    const disabled = await api.http.post(`${BASE}/tasks/disable`).query(query).expect(200);
    expect(keysOf(disabled.body)).toEqual(shape(SHAPES.action));
    expect(disabled.body).toEqual({
      affected_tasks: expected.map(([task_group, task]) => ({ task_group, task })),
      count: expected.length,
    });
    for (const affected of disabled.body.affected_tasks) expect(keysOf(affected)).toEqual(shape(SHAPES.affected));
    const afterDisable = await active();
    for (const [, task] of expected) expect(afterDisable[task]).toBe(false);
    expect(Object.values(afterDisable).filter((v) => v === false)).toHaveLength(expected.length);

    const enabled = await api.http.post(`${BASE}/tasks/enable`).query(query).expect(200);
    expect(enabled.body).toEqual(disabled.body);
    expect(Object.values(await active()).every(Boolean)).toBe(true);
  });

  it('acts on every task when no filter is given', async () => {
    const all = await api.http.post(`${BASE}/tasks/disable`).expect(200);
    expect(all.body.count).toBe(5);
    expect(Object.values(await active()).some(Boolean)).toBe(false);
    expect((await api.http.post(`${BASE}/tasks/enable`).expect(200)).body.count).toBe(5);
  });

  it.each(['disable', 'enable', 'trigger', 'reset-retry'])(
    'POST /tasks/%s answers 404 with a detail, changing nothing, when no task matches',
    async (action) => {
      const before = await api.http.get(`${BASE}/tasks`).expect(200);
      const res = await api.http
        .post(`${BASE}/tasks/${action}`)
        .query({ task_group_name: 'Api', tag: 'other' })
        .expect(404);
      expect(res.body).toEqual({ detail: 'No task matches task_group_name="Api", tag="other"' });
      expect((await api.http.get(`${BASE}/tasks`).expect(200)).body).toEqual(before.body);
    },
  );

  it('POST /tasks/trigger runs the matching tasks once, now, without moving their schedule', async () => {
    const before = (await api.http.get(`${BASE}/tasks`).query({ name: 'static_task' }).expect(200)).body[0];
    const res = await api.http.post(`${BASE}/tasks/trigger`).query({ tag: 'static' }).expect(200);
    expect(res.body).toEqual({ affected_tasks: [{ task_group: 'Api', task: 'static_task' }], count: 1 });
    await waitFor(() => api.log.of('static_task').length === 1, { message: 'triggered run', timeoutMs: 5000 });
    const after = (await api.http.get(`${BASE}/tasks`).query({ name: 'static_task' }).expect(200)).body[0];
    expect(after.next_run).toBe(before.next_run);
  });

  it('POST /tasks/reset-retry clears the backoff left by a failure', async () => {
    await api.http.post(`${BASE}/tasks/trigger`).query({ name: 'flaky' }).expect(200);
    const failed = await waitFor(
      async () => {
        const task = (await api.http.get(`${BASE}/tasks`).query({ name: 'flaky' })).body[0];
        return task.retry_after !== null ? task : undefined;
      },
      { message: 'backoff after the failure' },
    );
    // As FastAPI Task Manager: retry_delay is the delay of the next failure (1 s × 2); the applied one is 1 s.
    expect([failed.applied_retry_delay, failed.retry_delay]).toEqual([1, 2]);
    expect(Date.parse(failed.retry_after)).toBeGreaterThan(Date.now() - 5000);

    const res = await api.http.post(`${BASE}/tasks/reset-retry`).query({ task_name: 'flaky' }).expect(200);
    expect(res.body).toEqual({ affected_tasks: [{ task_group: 'Api', task: 'flaky' }], count: 1 });
    const reset = (await api.http.get(`${BASE}/tasks`).query({ name: 'flaky' })).body[0];
    expect(reset).toMatchObject({ retry_after: null, retry_delay: null, applied_retry_delay: null });
  });

  it('DELETE /tasks/statistics clears the history of the matching tasks only', async () => {
    await waitFor(async () => (await api.service.getRunHistory('Api', 'static_task')).length > 0);
    await waitFor(async () => (await api.service.getRunHistory('Api', 'flaky')).length > 0);
    const res = await api.http.delete(`${BASE}/tasks/statistics`).query({ name: 'static_task' }).expect(200);
    expect(res.body).toEqual({ affected_tasks: [{ task_group: 'Api', task: 'static_task' }], count: 1 });
    expect((await api.http.get(`${BASE}/tasks/Api/static_task/statistics`).expect(200)).body.runs).toEqual([]);
    expect((await api.http.get(`${BASE}/tasks/Api/flaky/statistics`).expect(200)).body.runs.length).toBeGreaterThan(0);

    const none = await api.http.delete(`${BASE}/tasks/statistics`).query({ tag: 'nope' }).expect(404);
    expect(none.body).toEqual({ detail: 'No task matches tag="nope"' });
  });
});
