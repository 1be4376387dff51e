/**
 * Mounting and protecting the management API: `api` absent or disabled (no route), custom path,
 * `forRootAsync`, class guards with injected dependencies (every endpoint 401 without credentials), the
 * read-only/admin split (`adminGuards`), `dynamicTasks: false` (403), and invalid `api` options.
 */
import {
  Inject,
  Injectable,
  Module,
  UnauthorizedException,
  ValidationPipe,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { TaskManagerConfigurationError, TaskManagerModule } from 'nestjs-task-manager';
import type { Request } from 'express';
import { OPERATIONS, startApiApp, type ApiApp } from './api-app.js';
import { ApiTasks, NEVER } from './fixtures.js';

const AUTH_TOKEN = Symbol('AUTH_TOKEN');

@Module({ providers: [{ provide: AUTH_TOKEN, useValue: 's3cret' }], exports: [AUTH_TOKEN] })
class AuthModule {}

/** Requires `Authorization: Bearer <token>`; the token comes from AuthModule (given in `api.imports`). */
@Injectable()
class BearerGuard implements CanActivate {
  constructor(@Inject(AUTH_TOKEN) private readonly token: string) {}

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    if (header !== `Bearer ${this.token}`) throw new UnauthorizedException('Missing or invalid bearer token');
    return true;
  }
}

/** An instance guard: only requests with `x-role: admin`. */
const adminOnly: CanActivate = {
  canActivate: (context) => context.switchToHttp().getRequest<Request>().headers['x-role'] === 'admin',
};

/** A concrete, valid request for each of the 15 operations. */
function requestOf(api: ApiApp, op: (typeof OPERATIONS)[number], base = '/task-manager') {
  const path = op.path.replace('{task_group_name}', 'Api').replace('{task_name}', 'static_task');
  const url = `${base}${path}`;
  if (op.method === 'post' && op.path === '/tasks') {
    return api.http
      .post(url)
      .send({ task_group_name: 'Api', function_name: 'echo', cron_expression: NEVER, name: 'guarded' });
  }
  if (op.method === 'patch' && op.path === '/tasks') {
    return api.http.patch(url).query({ task_group_name: 'Api', task_name: 'guarded' }).send({ description: 'patched' });
  }
  if (op.method === 'delete' && op.path === '/tasks') {
    return api.http.delete(url).query({ task_group_name: 'Api', task_name: 'guarded' });
  }
  return api.http[op.method](url);
}

describe('management API: mounting and guards', () => {
  describe('with a class guard injecting a provider of api.imports (forRootAsync)', () => {
    let api: ApiApp;
    beforeAll(async () => {
      api = await startApiApp({
        groups: [ApiTasks],
        label: 'api-guard',
        async: true,
        api: { path: 'task-manager', guards: [BearerGuard], imports: [AuthModule] },
      });
    });
    afterAll(() => api?.dispose());

    it.each(OPERATIONS.map((op) => [`${op.method.toUpperCase()} ${op.path}`, op] as const))(
      '%s answers 401 without credentials',
      async (_name, op) => {
        const res = await requestOf(api, op);
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ detail: 'Missing or invalid bearer token' });
      },
    );

    it('serves every operation with credentials', async () => {
      for (const op of OPERATIONS) {
        const res = await requestOf(api, op).set('Authorization', 'Bearer s3cret');
        expect([op.path, res.status]).toEqual([op.path, 200]);
      }
    });

    it('answers 401 with a wrong token', async () => {
      await api.http.get('/task-manager/tasks').set('Authorization', 'Bearer nope').expect(401);
    });
  });

  describe('with adminGuards (read-only vs admin)', () => {
    let api: ApiApp;
    beforeAll(async () => {
      api = await startApiApp({ groups: [ApiTasks], label: 'api-admin', api: { adminGuards: [adminOnly] } });
    });
    afterAll(() => api?.dispose());

    it('serves the read-only endpoints to anyone', async () => {
      for (const op of OPERATIONS.filter((o) => !o.mutating)) expect((await requestOf(api, op)).status).toBe(200);
    });

    it.each(OPERATIONS.filter((o) => o.mutating).map((op) => [`${op.method.toUpperCase()} ${op.path}`, op] as const))(
      '%s answers 403 to a non-admin, changing nothing',
      async (_name, op) => {
        const before = (await api.http.get('/task-manager/tasks').expect(200)).body;
        const res = await requestOf(api, op);
        expect(res.status).toBe(403);
        expect(res.body).toEqual({ detail: 'Forbidden resource' });
        expect((await api.http.get('/task-manager/tasks').expect(200)).body).toEqual(before);
      },
    );

    it('serves the mutating endpoints to an admin', async () => {
      for (const op of OPERATIONS.filter((o) => o.mutating)) {
        expect([op.path, (await requestOf(api, op).set('x-role', 'admin')).status]).toEqual([op.path, 200]);
      }
    });
  });

  describe('with dynamicTasks: false', () => {
    let api: ApiApp;
    beforeAll(async () => {
      api = await startApiApp({ groups: [ApiTasks], label: 'api-nodyn', api: { dynamicTasks: false } });
    });
    afterAll(() => api?.dispose());

    it('answers 403 with a clear detail on POST, PATCH and DELETE /tasks, before validating the input', async () => {
      for (const req of [
        api.http
          .post('/task-manager/tasks')
          .send({ task_group_name: 'Api', function_name: 'echo', cron_expression: NEVER }),
        api.http.post('/task-manager/tasks').send({ nonsense: true }),
        api.http.delete('/task-manager/tasks').query({ task_group_name: 'Api', task_name: 'x' }),
        api.http.patch('/task-manager/tasks').query({ task_group_name: 'Api', task_name: 'x' }).send({ nonsense: 1 }),
      ]) {
        const res = await req;
        expect(res.status).toBe(403);
        expect(res.body.detail).toMatch(/Dynamic tasks are disabled on this API \(option api\.dynamicTasks is false\)/);
      }
      expect(
        (await api.http.get('/task-manager/tasks').expect(200)).body.every((t: { dynamic: boolean }) => !t.dynamic),
      ).toBe(true);
    });

    it('still serves every other endpoint', async () => {
      await api.http.get('/task-manager/functions').expect(200);
      await api.http.post('/task-manager/tasks/disable').query({ name: 'static_task' }).expect(200);
    });
  });

  describe('mounting', () => {
    it('mounts no route without the api extra, or with enabled: false', async () => {
      for (const apiOption of [null, { enabled: false }]) {
        const api = await startApiApp({ groups: [ApiTasks], label: 'api-off', api: apiOption });
        try {
          const res = await api.http.get('/task-manager/health');
          expect(res.status).toBe(404);
          expect(res.body.detail).toBeUndefined(); // Nest's own 404: nothing of the API is there
        } finally {
          await api.dispose();
        }
      }
    });

    it('normalizes and uses a custom path', async () => {
      const api = await startApiApp({ groups: [ApiTasks], label: 'api-path', api: { path: '/ops/task-manager/' } });
      try {
        await api.http.get('/ops/task-manager/health').expect(200);
        await api.http.get('/task-manager/health').expect(404);
        expect((await api.http.get('/ops/task-manager/nope').expect(404)).body).toEqual({ detail: 'Not Found' });
        const wrongMethod = await api.http.put('/ops/task-manager/tasks').expect(405);
        expect(wrongMethod.headers.allow).toBe('GET, POST, DELETE');
        expect(wrongMethod.body).toEqual({ detail: 'Method Not Allowed: use GET or POST or DELETE' });
      } finally {
        await api.dispose();
      }
    });

    it("works under a global prefix and beside the application's own global ValidationPipe", async () => {
      const api = await startApiApp({
        groups: [ApiTasks],
        label: 'api-prefix',
        configure: (app) => {
          app.setGlobalPrefix('api/v1');
          app.useGlobalPipes(new ValidationPipe({ transform: true, whitelist: true }));
        },
      });
      try {
        const base = '/api/v1/task-manager';
        expect((await api.http.get(`${base}/tasks`).query({ limit: 2 }).expect(200)).body).toHaveLength(2);
        await api.http
          .post(`${base}/tasks`)
          .send({ task_group_name: 'Api', function_name: 'echo', cron_expression: NEVER, name: 'prefixed' })
          .expect(200);
        const bad = await api.http
          .post(`${base}/tasks`)
          .send({ task_group_name: 'Api', function_name: 'echo', cron_expression: '' });
        expect(bad.status).toBe(400);
        expect(bad.body.detail).toMatch(/cron_expression must not be empty/);
        const malformed = await api.http.post(`${base}/tasks`).set('Content-Type', 'application/json').send('{"a":');
        expect(malformed.status).toBe(400);
        expect(malformed.body.detail).toMatch(/not a valid JSON object/);
        expect((await api.http.get(`${base}/nope`).expect(404)).body).toEqual({ detail: 'Not Found' });
        await api.http.get('/task-manager/health').expect(404);
      } finally {
        await api.dispose();
      }
    });

    it('rejects invalid api options at configuration time, listing every problem', () => {
      const build = (api: unknown) => () => TaskManagerModule.forRoot({ keyPrefix: 'x', api: api as never });
      expect(build({ path: 'tasks/:id' })).toThrow(TaskManagerConfigurationError);
      expect(build({ path: 'a b', guards: ['nope'], adminGuards: [{}], swagger: 'yes' })).toThrow(
        /api\.path must be a URL path[\s\S]*api\.guards\[0\] must be a guard[\s\S]*api\.adminGuards\[0\] must be a guard[\s\S]*api\.swagger must be true or false/,
      );
      expect(build({ path: 'task-manager', guards: [BearerGuard], adminGuards: [adminOnly] })).not.toThrow();
    });
  });
});
