/**
 * Management security, beyond test/api/guards.e2e-spec.ts (guard on every endpoint, read-only vs admin split,
 * dynamicTasks: false) and test/api/read-endpoints.e2e-spec.ts (/config with a URL with credentials and TLS):
 *
 * - the guard also covers unknown paths and wrong methods (no route enumeration without credentials);
 * - a rate-limiting guard (the documented @nestjs/throttler pattern, here a minimal stand-in) answers 429 in
 *   the API's `{detail}` shape;
 * - `/config` and error details never reveal a secret, whatever the connection form: URL with credentials,
 *   ACL username + password, Sentinel credentials, TLS material, Redis Cluster node credentials;
 * - kwargs are data: keys naming Object.prototype members and code-looking values reach the handler verbatim,
 *   never a prototype chain nor an evaluator;
 * - function and group names resolve only to registered functions and groups (`constructor`, `__proto__`,
 *   `toString`, `hasOwnProperty`, method names of unregistered methods), through the API and through a
 *   definition planted directly in Redis.
 */
import { HttpException, HttpStatus, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import { type TaskManagerModuleOptions } from 'nestjs-task-manager';
import { TaskManagerKeys, encodeTaskId } from 'nestjs-task-manager/testing';
import type { Request } from 'express';
import { startApiApp, type ApiApp } from '../api/api-app.js';
import { ApiTasks, NEVER, OtherTasks } from '../api/fixtures.js';
import { redisUrl, waitFor } from '../support/redis.js';

const SECRETS = [
  'S3cr3t-pw',
  'acl-user',
  'sentinel-pw',
  'sentinel-user',
  'PRIVATE-KEY-MATERIAL',
  'CERT-MATERIAL',
  'CA-MATERIAL',
  'key-passphrase',
  'node-pw',
];

/** Requires `Authorization: Bearer ok`. */
const bearer: CanActivate = {
  canActivate: (context: ExecutionContext) => {
    if (context.switchToHttp().getRequest<Request>().headers.authorization !== 'Bearer ok')
      throw new HttpException('Missing or invalid bearer token', HttpStatus.UNAUTHORIZED);
    return true;
  },
};

/** A minimal fixed-window rate limiter standing in for @nestjs/throttler's ThrottlerGuard. */
@Injectable()
class TinyThrottler implements CanActivate {
  static limit = 5;
  private hits = 0;

  canActivate(): boolean {
    this.hits++;
    if (this.hits > TinyThrottler.limit)
      throw new HttpException('ThrottlerException: Too Many Requests', HttpStatus.TOO_MANY_REQUESTS);
    return true;
  }
}

describe('management security', () => {
  describe('a guard on the whole API', () => {
    let api: ApiApp;
    beforeAll(async () => {
      api = await startApiApp({ groups: [ApiTasks], label: 'rel-sec-guard', api: { guards: [bearer] } });
    });
    afterAll(() => api?.dispose());

    it('also guards unknown paths and wrong methods: nothing to enumerate without credentials', async () => {
      for (const [method, path] of [
        ['get', '/task-manager/nope'],
        ['get', '/task-manager/tasks/Api/static_task/statistics/extra'],
        ['put', '/task-manager/tasks'],
        ['patch', '/task-manager/tasks/disable'],
        ['post', '/task-manager/health'],
      ] as const) {
        const res = await api.http[method](path);
        expect([method, path, res.status]).toEqual([method, path, 401]);
        expect(res.body).toEqual({ detail: 'Missing or invalid bearer token' });
      }
      const authorized = await api.http.get('/task-manager/nope').set('Authorization', 'Bearer ok');
      expect(authorized.status).toBe(404);
    });

    it('never runs the handler of a refused request (no state change)', async () => {
      await api.http.post('/task-manager/tasks/disable').expect(401);
      await api.http.post('/task-manager/tasks/trigger').expect(401);
      const tasks = (await api.http.get('/task-manager/tasks').set('Authorization', 'Bearer ok').expect(200)).body;
      expect(tasks.every((t: { is_active: boolean }) => t.is_active)).toBe(true);
      expect(api.log.entries).toEqual([]);
    });
  });

  describe('a rate-limiting guard (the @nestjs/throttler pattern)', () => {
    let api: ApiApp;
    beforeAll(async () => {
      api = await startApiApp({
        groups: [ApiTasks],
        label: 'rel-sec-rate',
        api: { guards: [TinyThrottler] },
      });
    });
    afterAll(() => api?.dispose());

    it('answers 429 in the API shape once the limit is reached', async () => {
      for (let i = 0; i < TinyThrottler.limit; i++) await api.http.get('/task-manager/health').expect(200);
      const res = await api.http.get('/task-manager/tasks');
      expect(res.status).toBe(429);
      expect(res.body).toEqual({ detail: 'ThrottlerException: Too Many Requests' });
    });
  });

  describe('/config and error details never reveal a secret', () => {
    const forms: Array<[string, TaskManagerModuleOptions['redis']]> = [
      ['a URL with ACL credentials', 'rediss://acl-user:S3cr3t-pw@redis.internal.example:6390/4'],
      [
        'ioredis options with an ACL username and password, and TLS material',
        {
          host: 'redis.internal.example',
          port: 6391,
          username: 'acl-user',
          password: 'S3cr3t-pw',
          db: 1,
          tls: {
            ca: 'CA-MATERIAL',
            cert: 'CERT-MATERIAL',
            key: 'PRIVATE-KEY-MATERIAL',
            passphrase: 'key-passphrase',
            rejectUnauthorized: true,
          },
        },
      ],
      [
        'a URL plus separate credentials',
        { url: 'redis://redis.internal.example:6392/0', username: 'acl-user', password: 'S3cr3t-pw' },
      ],
      [
        'Redis Cluster with node credentials',
        {
          cluster: {
            nodes: [{ host: 'node-1.internal.example', port: 7000 }],
            options: {
              redisOptions: { username: 'acl-user', password: 'node-pw', tls: { key: 'PRIVATE-KEY-MATERIAL' } },
            },
          },
        } as TaskManagerModuleOptions['redis'],
      ],
    ];

    it.each(forms)('%s', async (_name, redis) => {
      // autoStart false: the app never connects to these (fictitious) servers; /config needs no Redis.
      const api = await startApiApp({ groups: [], label: 'rel-sec-config', options: { autoStart: false, redis } });
      try {
        const res = await api.http.get('/task-manager/config').expect(200);
        const text = JSON.stringify(res.body);
        for (const secret of [...SECRETS, 'password', 'username', 'tls', 'rediss:', 'sentinel'])
          expect([secret, text.includes(secret)]).toEqual([secret, false]);
      } finally {
        await api.close();
      }
    });

    it('does not echo credentials in the detail of a 503 (Redis unreachable)', async () => {
      const api = await startApiApp({
        groups: [ApiTasks],
        label: 'rel-sec-503',
        options: { autoStart: false, redis: 'redis://acl-user:S3cr3t-pw@127.0.0.1:1/0' },
      });
      try {
        for (const path of [
          '/task-manager/tasks',
          '/task-manager/tasks/Api/static_task/statistics',
          '/task-manager/health',
        ]) {
          const res = await api.http.get(path);
          expect(res.status === 503 || path.endsWith('/health')).toBe(true);
          for (const secret of SECRETS) expect(JSON.stringify(res.body)).not.toContain(secret);
        }
        const created = await api.http
          .post('/task-manager/tasks')
          .send({ task_group_name: 'Api', function_name: 'echo', cron_expression: NEVER, name: 'x' });
        expect(created.status).toBe(503);
        expect(JSON.stringify(created.body)).not.toContain('S3cr3t-pw');
      } finally {
        await api.close();
      }
    }, 30_000);
  });

  describe('Sentinel configured, every sentinel unreachable', () => {
    // Finding #4 (fixed): with every sentinel unreachable ioredis retries for ever and the first connection
    // never settled, so bootstrap hung. The first connection now has a deadline: an API-only instance boots
    // (the connection keeps retrying in the background) and answers 503 / its config meanwhile.
    it('boots an API-only instance within 10 s, which answers /config without a secret', async () => {
      const booting = startApiApp({
        groups: [],
        label: 'rel-sec-sentinel',
        options: {
          autoStart: false,
          redis: {
            sentinels: [{ host: '127.0.0.1', port: 1 }],
            name: 'mymaster',
            sentinelUsername: 'sentinel-user',
            sentinelPassword: 'sentinel-pw',
            username: 'acl-user',
            password: 'S3cr3t-pw',
          },
        },
      });
      const api = await Promise.race([
        booting,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('bootstrap still pending after 10 s')), 10_000),
        ),
      ]);
      try {
        const text = JSON.stringify((await api.http.get('/task-manager/config').expect(200)).body);
        for (const secret of SECRETS) expect(text).not.toContain(secret);
      } finally {
        await api.close();
      }
    }, 20_000);
  });

  describe('kwargs are data, names resolve only to what is registered', () => {
    let api: ApiApp;
    let redis: Redis;
    beforeAll(async () => {
      api = await startApiApp({ groups: [ApiTasks, OtherTasks], label: 'rel-sec-kwargs' });
      redis = new Redis(redisUrl());
    });
    afterAll(async () => {
      redis?.disconnect();
      await api?.dispose();
    });

    it('hands kwargs naming Object.prototype members, and code-looking strings, to the handler verbatim', async () => {
      const kwargs = {
        toString: 'not a function',
        valueOf: 42,
        hasOwnProperty: true,
        isPrototypeOf: null,
        __defineGetter__: ['x'],
        // oxlint-disable-next-line unicorn/no-thenable -- a kwargs key that must stay plain data
        then: 'not a thenable',
        code: "require('child_process').execSync('touch /tmp/pwned')",
        template: '${process.exit(1)}',
        json: '{"__proto__":{"polluted":true}}',
        nested: { toJSON: 'x', length: -1 },
      };
      const res = await api.http
        .post('/task-manager/tasks')
        .send({ task_group_name: 'Api', function_name: 'echo', cron_expression: NEVER, name: 'data_only', kwargs })
        .expect(200);
      expect(res.body.kwargs).toEqual(kwargs);
      await api.http.post('/task-manager/tasks/trigger').query({ name: 'data_only' }).expect(200);
      await waitFor(() => api.log.of('data_only').length === 1, { timeoutMs: 5000 });
      const received = api.log.of('data_only')[0].kwargs;
      expect(received).toEqual(kwargs);
      expect(Object.getPrototypeOf(received)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const listed = (await api.http.get('/task-manager/tasks').query({ name: 'data_only' }).expect(200)).body;
      expect(listed[0].kwargs).toEqual(kwargs);
    });

    it.each([
      'constructor',
      '__proto__',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'withKwargs',
      'flaky',
      'sendEmail',
      'log',
      'Echo',
      'echo ',
    ])('refuses function_name %j (not a registered function of the group)', async (functionName) => {
      const res = await api.http
        .post('/task-manager/tasks')
        .send({ task_group_name: 'Api', function_name: functionName, cron_expression: NEVER, name: 'evil' });
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/is not registered in group "Api"|must not/);
      expect(api.service.listTasks({ name: 'evil' })).toEqual([]);
    });

    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'prototype'])(
      'refuses task_group_name %j, and finds nothing under it',
      async (group) => {
        const res = await api.http
          .post('/task-manager/tasks')
          .send({ task_group_name: group, function_name: 'echo', cron_expression: NEVER, name: 'evil' });
        expect(res.status).toBe(404);
        expect((await api.http.get(`/task-manager/tasks/${group}/echo/statistics`)).status).toBe(404);
        expect((await api.http.get('/task-manager/tasks').query({ task_group_name: group }).expect(200)).body).toEqual(
          [],
        );
        expect(
          (await api.http.get('/task-manager/functions').query({ task_group_name: group }).expect(200)).body,
        ).toEqual({
          functions: [],
          count: 0,
        });
        expect((await api.http.post('/task-manager/tasks/trigger').query({ task_group_name: group })).status).toBe(404);
      },
    );

    it('skips a definition planted in Redis that names an unregistered function (constructor, toString, ...)', async () => {
      const keys = new TaskManagerKeys(api.prefix);
      for (const fn of ['constructor', 'toString', '__proto__', 'withKwargs']) {
        const name = `planted_${fn}`;
        await redis.hset(
          keys.dynamic,
          encodeTaskId('Api', name),
          JSON.stringify({
            group: 'Api',
            name,
            function: fn,
            expression: '* * * * * *',
            timeZone: 'UTC',
            kwargs: null,
            description: null,
            tags: [],
            highPriority: false,
            retryBackoff: null,
            retryBackoffMax: null,
            createdAt: Date.now(),
          }),
        );
      }
      await redis.publish(keys.events, JSON.stringify({ type: 'tasks', origin: 'attacker' }));
      // A legitimate dynamic task created afterwards is synced (so the planted ones were looked at).
      await api.http
        .post('/task-manager/tasks')
        .send({ task_group_name: 'Api', function_name: 'echo', cron_expression: NEVER, name: 'after_planting' })
        .expect(200);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(api.service.listTasks().filter((t) => t.name.startsWith('planted_'))).toEqual([]);
      expect(api.log.entries.filter((e) => e.task.startsWith('planted_'))).toEqual([]);
      expect(api.service.health().status).toBe('healthy');
    });
  });
});
