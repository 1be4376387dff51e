/**
 * Tasks managed from code and over HTTP on one instance (issue 16, "Code API"): `PATCH /tasks` and
 * `updateDynamicTask`, the run options of dynamic tasks (max attempts, timeout, misfire policy) honoured by the
 * engine, a trigger with kwargs (service and HTTP) recorded as a manual run with them, the new run fields of the
 * statistics, one no-match rule for the service's bulk actions, and `@Task(..., { disabled: true })` kept
 * across a restart once enabled.
 */
import { Injectable } from '@nestjs/common';
import { IsEmail } from 'class-validator';
import {
  InvalidTaskDefinitionError,
  RegisterFunction,
  StaticTaskError,
  Task,
  TaskGroup,
  TaskNotFoundError,
  type TaskContext,
} from 'nestjs-task-manager';
import { cleanupPrefix, uniquePrefix, waitFor } from '../support/redis.js';
import { RunLog, sleep, startTaskApp } from '../support/task-app.js';
import { keysOf, shape, SHAPES, startApiApp, type ApiApp } from './api-app.js';
import { NEVER } from './fixtures.js';

const BASE = '/task-manager';

class MailKwargs {
  @IsEmail()
  to!: string;
}

@TaskGroup({ name: 'Code', tags: ['code'] })
@Injectable()
class CodeTasks {
  constructor(private readonly log: RunLog) {}

  @Task(NEVER, { name: 'manual', kwargs: { own: true } })
  manual(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @Task(NEVER, { name: 'paused', disabled: true, register: false })
  paused(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @RegisterFunction('record')
  record(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @RegisterFunction({ name: 'mail', kwargs: MailKwargs })
  mail(kwargs: MailKwargs, ctx: TaskContext): void {
    this.log.start({ ...kwargs }, ctx)();
  }

  @RegisterFunction('fail')
  fail(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
    throw new Error('boom');
  }

  @RegisterFunction('slow')
  async slow(kwargs: Record<string, unknown>, ctx: TaskContext): Promise<void> {
    this.log.start(kwargs, ctx)();
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

describe('tasks managed from code and over HTTP (one instance)', () => {
  let api: ApiApp;

  beforeAll(async () => {
    api = await startApiApp({ groups: [CodeTasks], label: 'code-api' });
  });
  afterAll(() => api?.dispose());

  const listed = async (name: string) => {
    const res = await api.http.get(`${BASE}/tasks`).query({ task_group_name: 'Code', name }).expect(200);
    return res.body[0] as Record<string, unknown>;
  };
  const statistics = async (name: string) =>
    (await api.http.get(`${BASE}/tasks/Code/${name}/statistics`).expect(200)).body.runs as Array<
      Record<string, unknown>
    >;
  const patch = (name: string, body: unknown) =>
    api.http
      .patch(`${BASE}/tasks`)
      .query({ task_group_name: 'Code', task_name: name })
      .send(body as object);

  it('PATCH /tasks changes the given fields only and answers the task as GET /tasks lists it', async () => {
    await api.service.createDynamicTask({
      groupName: 'Code',
      functionName: 'record',
      cronExpression: NEVER,
      name: 'report',
      kwargs: { v: 1 },
      description: 'Report',
      tags: ['a'],
      retryBackoff: 5,
    });
    const res = await patch('report', {
      kwargs: { v: 2 },
      tags: ['b', 'b'],
      description: null,
      high_priority: true,
      max_attempts: 3,
      timeout_ms: 1500,
      misfire_policy: 'skip',
      time_zone: 'Europe/Paris',
    }).expect(200);
    expect(keysOf(res.body)).toEqual(shape(SHAPES.taskDetailed));
    expect(res.body).toMatchObject({
      name: 'report',
      task_group_name: 'Code',
      dynamic: true,
      function_name: 'record',
      expression: NEVER,
      kwargs: { v: 2 },
      tags: ['code', 'b'],
      description: null,
      high_priority: true,
      retry_backoff: 5,
      max_attempts: 3,
      timeout_ms: 1500,
      misfire_policy: 'skip',
      time_zone: 'Europe/Paris',
      is_active: true,
    });
    expect(await listed('report')).toEqual({ ...res.body, next_run: expect.any(String) });
    // null resets to the default; the next run is planned again on a new time zone.
    const reset = await patch('report', { time_zone: null, max_attempts: null, misfire_policy: null }).expect(200);
    expect(reset.body).toMatchObject({ time_zone: 'UTC', max_attempts: 1, misfire_policy: 'runOnce' });
  });

  it('PATCH /tasks re-plans the next run on a new cron, runs the new kwargs, and pauses / resumes with enabled', async () => {
    await api.service.createDynamicTask({
      groupName: 'Code',
      functionName: 'record',
      cronExpression: NEVER,
      name: 'tick',
    });
    expect(Date.parse((await listed('tick')).next_run as string)).toBeGreaterThan(Date.now() + 86_400_000);
    const updated = await patch('tick', { cron_expression: '* * * * * *', kwargs: { n: 7 } }).expect(200);
    expect(Date.parse(updated.body.next_run)).toBeLessThanOrEqual(Date.now() + 2000);
    await waitFor(() => api.log.of('tick').length > 0, { message: 'a run of the updated task', timeoutMs: 3000 });
    expect(api.log.of('tick')[0].kwargs).toEqual({ n: 7 });

    expect((await patch('tick', { enabled: false }).expect(200)).body.is_active).toBe(false);
    await sleep(1500); // a run published just before the pause may still end
    const count = api.log.of('tick').length;
    await sleep(1500);
    expect(api.log.of('tick').length).toBe(count);
    expect((await patch('tick', { enabled: true }).expect(200)).body.is_active).toBe(true);
    await waitFor(() => api.log.of('tick').length > count, { message: 'runs again once enabled', timeoutMs: 3000 });
    await api.service.deleteDynamicTask('Code', 'tick');
  });

  it('updateDynamicTask: the same rules from code, with typed errors and nothing changed on a refusal', async () => {
    await api.service.createDynamicTask({
      groupName: 'Code',
      functionName: 'mail',
      cronExpression: NEVER,
      name: 'mailer',
      kwargs: { to: 'a@example.com' },
    });
    const view = await api.service.updateDynamicTask('Code', 'mailer', { kwargs: { to: 'b@example.com' } });
    expect(view.task.kwargs).toEqual({ to: 'b@example.com' });
    expect(view.state.disabled).toBe(false);
    await expect(api.service.updateDynamicTask('Code', 'mailer', { kwargs: { to: 'nope' } })).rejects.toThrow(
      InvalidTaskDefinitionError,
    );
    await expect(api.service.updateDynamicTask('Code', 'mailer', {})).rejects.toThrow(/update is empty/);
    await expect(
      api.service.updateDynamicTask('Code', 'mailer', { name: 'x' } as unknown as Record<string, never>),
    ).rejects.toThrow(/name is not a field of an update/);
    await expect(api.service.updateDynamicTask('Code', 'mailer', { cronExpression: '99 * * * *' })).rejects.toThrow(
      /cronExpression is invalid/,
    );
    await expect(api.service.updateDynamicTask('Code', 'nope', { description: 'x' })).rejects.toThrow(
      TaskNotFoundError,
    );
    await expect(api.service.updateDynamicTask('Code', 'manual', { description: 'x' })).rejects.toThrow(
      StaticTaskError,
    );
    expect((await listed('mailer')).kwargs).toEqual({ to: 'b@example.com' });
  });

  it('a dynamic task runs with its max attempts (retries recorded as such, with the stack) and its timeout', async () => {
    await api.service.createDynamicTask({
      groupName: 'Code',
      functionName: 'fail',
      cronExpression: NEVER,
      name: 'failing',
      maxAttempts: 2,
      retryBackoff: 0.2,
      retryBackoffMax: 0.2,
    });
    await api.http.post(`${BASE}/tasks/trigger`).query({ name: 'failing' }).expect(200);
    await waitFor(async () => (await statistics('failing')).length === 2, { message: 'two attempts', timeoutMs: 5000 });
    await sleep(800);
    const runs = await statistics('failing');
    expect(runs).toHaveLength(2);
    for (const run of runs) expect(keysOf(run)).toEqual(shape(SHAPES.run));
    expect(runs.map((r) => [r.attempt, r.kind, r.status, r.error, r.kwargs])).toEqual([
      [1, 'trigger', 'failed', 'boom', null],
      [2, 'retry', 'failed', 'boom', null],
    ]);
    expect(runs[0].error_stack).toMatch(/^Error: boom\n\s+at /);

    await api.service.createDynamicTask({
      groupName: 'Code',
      functionName: 'slow',
      cronExpression: NEVER,
      name: 'bounded',
      timeoutMs: 300,
    });
    await api.service.trigger({ groupName: 'Code', name: 'bounded' });
    await waitFor(async () => (await statistics('bounded')).length === 1, { message: 'the run', timeoutMs: 3000 });
    const [run] = await statistics('bounded');
    expect(run).toMatchObject({
      status: 'failed',
      kind: 'trigger',
      attempt: 1,
      error: expect.stringMatching(/timed out after 300 ms/),
    });
  });

  it('trigger with kwargs (HTTP and service): runs once with them, recorded as a manual run with them', async () => {
    await api.http
      .post(`${BASE}/tasks/trigger`)
      .query({ task_group_name: 'Code', name: 'manual' })
      .send({ kwargs: { from: 'http' } })
      .expect(200, { affected_tasks: [{ task_group: 'Code', task: 'manual' }], count: 1 });
    await waitFor(() => api.log.of('manual').length === 1, { message: 'the triggered run', timeoutMs: 3000 });
    expect(api.log.of('manual')[0].kwargs).toEqual({ from: 'http' });
    // Without a body, as the original: the task's own kwargs.
    await api.http.post(`${BASE}/tasks/trigger`).query({ name: 'manual' }).expect(200);
    await waitFor(() => api.log.of('manual').length === 2, { message: 'the plain run', timeoutMs: 3000 });
    expect(api.log.of('manual')[1].kwargs).toEqual({ own: true });
    await api.service.trigger({ name: 'manual' }, { kwargs: { from: 'code' } });
    await waitFor(() => api.log.of('manual').length === 3, { message: 'the run from code', timeoutMs: 3000 });
    expect(api.log.of('manual')[2].kwargs).toEqual({ from: 'code' });
    await sleep(500);
    expect(api.log.of('manual')).toHaveLength(3);
    const runs = await statistics('manual');
    expect(runs.map((r) => [r.kind, r.kwargs, r.error_stack])).toEqual([
      ['trigger', { from: 'http' }, null],
      ['trigger', null, null],
      ['trigger', { from: 'code' }, null],
    ]);
    const history = await api.service.getRunHistory('Code', 'manual');
    expect(history[2]).toMatchObject({ kind: 'trigger', attempt: 1, kwargs: { from: 'code' }, errorStack: null });

    // A function's kwargs DTO applies to a trigger of its dynamic tasks.
    await expect(api.service.trigger({ name: 'mailer' }, { kwargs: { to: 'not-an-email' } })).rejects.toThrow(
      /Invalid kwargs for task "mailer"/,
    );
  });

  it('the bulk actions of the service throw TaskNotFoundError when nothing matches, as HTTP answers 404', async () => {
    const none = { groupName: 'Code', name: 'nope' };
    for (const act of [
      () => api.service.disable(none),
      () => api.service.enable(none),
      () => api.service.trigger(none),
      () => api.service.trigger(none, { kwargs: { a: 1 } }),
      () => api.service.resetRetry(none),
      () => api.service.clearRunHistory(none),
      () => api.service.clearStatistics(none),
    ])
      await expect(act()).rejects.toThrow(new TaskNotFoundError('No task matches task_group_name="Code", name="nope"'));
    const res = await api.http.post(`${BASE}/tasks/trigger`).query({ task_group_name: 'Code', name: 'nope' });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'No task matches task_group_name="Code", name="nope"' });
  });
});

describe('@Task(..., { disabled: true })', () => {
  const prefix = uniquePrefix('code-disabled');
  afterAll(() => cleanupPrefix(prefix));

  it('starts paused on its first registration; an enable survives a restart', async () => {
    const first = await startTaskApp({ groups: [CodeTasks], prefix });
    try {
      const state = async (app: typeof first) => (await app.service.getTasks({ name: 'paused' }))[0].state.disabled;
      await waitFor(async () => (await first.service.getTasks({ name: 'paused' }))[0].state.nextRun !== null, {
        message: 'registered',
      });
      expect(await state(first)).toBe(true);
      expect((await first.service.getTasks({ name: 'manual' }))[0].state.disabled).toBe(false);
      await first.service.enable({ name: 'paused' });
      await first.close();

      const second = await startTaskApp({ groups: [CodeTasks], prefix });
      try {
        await waitFor(async () => (await second.service.getTasks({ name: 'paused' }))[0].state.nextRun !== null, {
          message: 'registered again',
        });
        expect(await state(second)).toBe(false);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });
});
