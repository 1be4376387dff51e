/**
 * The audit trail of the management API, through real HTTP requests: each admin action writes one audit
 * line (action, filter, affected count, caller as the guard exposes it) and emits a typed `admin.action`.
 */
import { Injectable, type CanActivate, type ExecutionContext, type LoggerService } from '@nestjs/common';
import { TaskManagerEvents, type AdminActionEvent } from 'nestjs-task-manager';
import type { Request } from 'express';
import { startApiApp, type ApiApp } from './api-app.js';
import { ApiTasks, NEVER } from './fixtures.js';

/** Puts `{ id }` of the `x-user` header on `request.user` (a stand-in for an auth guard); lets every request in. */
@Injectable()
class UserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request & { user?: unknown }>();
    const id = request.headers['x-user'];
    if (typeof id === 'string') request.user = { id, roles: ['admin'] };
    return true;
  }
}

/** Records the audit lines. */
class RecordingLogger implements LoggerService {
  readonly audit: string[] = [];
  log = (message: string) => {
    if (String(message).startsWith('Admin action')) this.audit.push(message);
  };
  warn = () => undefined;
  error = () => undefined;
}

describe('management API: audit of admin actions', () => {
  let api: ApiApp;
  const logger = new RecordingLogger();
  const events: AdminActionEvent[] = [];

  beforeAll(async () => {
    api = await startApiApp({
      groups: [ApiTasks],
      label: 'api-audit',
      options: { logger },
      api: { path: 'task-manager', guards: [UserGuard] },
    });
    api.app.get(TaskManagerEvents).on('admin.action', (e) => events.push(e));
  });
  afterAll(() => api?.dispose());
  beforeEach(() => {
    logger.audit.length = 0;
    events.length = 0;
  });

  const staticTask = [{ groupName: 'Api', taskName: 'static_task' }];
  const byName = { groupName: 'Api', name: 'static_task' };

  it.each([
    ['disable', 'post', '/tasks/disable'],
    ['enable', 'post', '/tasks/enable'],
    ['trigger', 'post', '/tasks/trigger'],
    ['reset-retry', 'post', '/tasks/reset-retry'],
    ['clear-statistics', 'delete', '/tasks/statistics'],
  ] as const)('%s writes one audit line and emits admin.action', async (action, method, path) => {
    await api.http[method](`/task-manager${path}`)
      .query({ task_group_name: 'Api', name: 'static_task' })
      .set('x-user', 'alice')
      .expect(200);
    expect(logger.audit).toEqual([
      `Admin action ${action} by "alice": filter={"groupName":"Api","name":"static_task"} affected=1`,
    ]);
    expect(events).toEqual([{ action, filter: byName, affected: 1, tasks: staticTask, caller: 'alice' }]);
  });

  it('create, update and delete write one audit line each and emit admin.action; a refused update affects 0', async () => {
    await api.http
      .post('/task-manager/tasks')
      .set('x-user', 'bob')
      .send({ task_group_name: 'Api', function_name: 'echo', cron_expression: NEVER, name: 'audited' })
      .expect(200);
    await api.http
      .patch('/task-manager/tasks')
      .query({ task_group_name: 'Api', task_name: 'audited' })
      .set('x-user', 'bob')
      .send({ description: 'audited task' })
      .expect(200);
    await api.http
      .patch('/task-manager/tasks')
      .query({ task_group_name: 'Api', task_name: 'static_task' })
      .set('x-user', 'bob')
      .send({ description: 'nope' })
      .expect(400);
    await api.http
      .delete('/task-manager/tasks')
      .query({ task_group_name: 'Api', task_name: 'audited' })
      .set('x-user', 'bob')
      .expect(200);
    expect(logger.audit).toEqual([
      'Admin action create by "bob": filter={"groupName":"Api","name":"audited"} affected=1',
      'Admin action update by "bob": filter={"groupName":"Api","name":"audited"} affected=1',
      expect.stringMatching(
        /^Admin action update by "bob": filter=\{"groupName":"Api","name":"static_task"\} affected=0 error=".*static/,
      ),
      'Admin action delete by "bob": filter={"groupName":"Api","name":"audited"} affected=1',
    ]);
    const audited = [{ groupName: 'Api', taskName: 'audited' }];
    const filter = { groupName: 'Api', name: 'audited' };
    expect(events).toEqual([
      { action: 'create', filter, affected: 1, tasks: audited, caller: 'bob' },
      { action: 'update', filter, affected: 1, tasks: audited, caller: 'bob' },
      expect.objectContaining({ action: 'update', affected: 0, tasks: [], error: expect.stringMatching(/static/) }),
      { action: 'delete', filter, affected: 1, tasks: audited, caller: 'bob' },
    ]);
  });

  it('a bulk action over several tasks counts each; a refused one is audited with 0 and the reason', async () => {
    const disabled = await api.http
      .post('/task-manager/tasks/disable')
      .query({ tag: 'api' })
      .set('x-user', 'carol')
      .expect(200);
    await api.http.post('/task-manager/tasks/enable').query({ tag: 'api' }).set('x-user', 'carol').expect(200);
    expect(disabled.body.count).toBeGreaterThan(1);
    expect(events.map((e) => [e.action, e.affected, e.tasks.length])).toEqual([
      ['disable', disabled.body.count, disabled.body.count],
      ['enable', disabled.body.count, disabled.body.count],
    ]);
    events.length = 0;
    logger.audit.length = 0;
    await api.http.post('/task-manager/tasks/trigger').query({ name: 'nope' }).set('x-user', 'carol').expect(404);
    await api.http.delete('/task-manager/tasks').query({ task_group_name: 'Api', task_name: 'nope' }).expect(404);
    expect(events).toEqual([
      {
        action: 'trigger',
        filter: { name: 'nope' },
        affected: 0,
        tasks: [],
        caller: 'carol',
        error: 'No task matches name="nope"',
      },
      {
        action: 'delete',
        filter: { groupName: 'Api', name: 'nope' },
        affected: 0,
        tasks: [],
        caller: expect.stringMatching(/127\.0\.0\.1|::1/),
        error: expect.any(String),
      },
    ]);
    expect(logger.audit[0]).toBe(
      'Admin action trigger by "carol": filter={"name":"nope"} affected=0 error="No task matches name=\\"nope\\""',
    );
    // Without a user on the request, the caller is the remote address.
    expect(logger.audit[1]).toMatch(/^Admin action delete by ".*(127\.0\.0\.1|::1)": filter=.* affected=0 error=/);
  });

  it('read endpoints are not audited', async () => {
    await api.http.get('/task-manager/tasks').set('x-user', 'dave').expect(200);
    await api.http.get('/task-manager/health').expect(200);
    expect(logger.audit).toEqual([]);
    expect(events).toEqual([]);
  });
});
