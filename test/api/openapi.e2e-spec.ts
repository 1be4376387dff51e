/**
 * The demo application (src/app.module.ts + src/swagger.ts, as src/main.ts runs them): its OpenAPI
 * document, fetched from the running app, lists the API's 15 operations (FastAPI Task Manager's 13 plus GET /workers and PATCH /tasks) with request and response
 * schemas; Swagger UI is served at /docs; the API-key guard is off by default and on with
 * TASK_MANAGER_API_KEY. Also: `api.swagger: false` hides the API from the document.
 */
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SwaggerModule } from '@nestjs/swagger';
import request from 'supertest';
import { cleanupPrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { OPERATIONS, shape, SHAPES, startApiApp } from './api-app.js';
import { ApiTasks } from './fixtures.js';

type Schema = {
  $ref?: string;
  type?: string;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  nullable?: boolean;
};
type Operation = {
  summary?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};
type Document = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

const ENV_KEYS = ['REDIS_URL', 'TASK_MANAGER_PREFIX', 'TASK_MANAGER_API_KEY'] as const;

/** Starts the demo app as src/main.ts does (without listening on a fixed port). */
async function startDemo(env: Partial<Record<(typeof ENV_KEYS)[number], string>>): Promise<INestApplication> {
  for (const key of ENV_KEYS) {
    if (env[key] === undefined) delete process.env[key];
    else process.env[key] = env[key];
  }
  const { AppModule } = await import('../../src/app.module.js');
  const { setupSwagger } = await import('../../src/swagger.js');
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  setupSwagger(app);
  await app.init();
  return app;
}

describe('OpenAPI document of the demo application', () => {
  const prefix = uniquePrefix('api-demo');
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  let app: INestApplication;
  let doc: Document;

  beforeAll(async () => {
    app = await startDemo({ REDIS_URL: redisUrl(), TASK_MANAGER_PREFIX: prefix });
    doc = (await request(app.getHttpServer()).get('/docs-json').expect(200)).body;
  });
  afterAll(async () => {
    await app?.close();
    await cleanupPrefix(prefix);
    for (const key of ENV_KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  const resolve = (schema: Schema): Schema =>
    schema.$ref ? doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')] : schema;
  const okSchema = (op: Operation) => op.responses['200'].content!['application/json'].schema;

  it('lists exactly the 15 operations under /task-manager', () => {
    const listed = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/task-manager'))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`))
      .sort();
    expect(listed).toEqual(OPERATIONS.map((op) => `${op.method} /task-manager${op.path}`).sort());
  });

  it('documents every operation with a summary, a 200 response schema and error responses', () => {
    for (const op of OPERATIONS) {
      const operation = doc.paths[`/task-manager${op.path}`][op.method];
      expect(operation.summary, op.path).toBeTruthy();
      const schema = okSchema(operation);
      expect(schema.$ref ?? schema.items?.$ref, op.path).toMatch(/^#\/components\/schemas\//);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
      expect(resolve(operation.responses['400'].content!['application/json'].schema).properties).toHaveProperty(
        'detail',
      );
    }
  });

  it('documents request bodies, query and path parameters', () => {
    const create = doc.paths['/task-manager/tasks'].post;
    const body = resolve(create.requestBody!.content['application/json'].schema);
    expect(create.requestBody!.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/CreateDynamicTaskRequest',
    );
    expect(Object.keys(body.properties!).sort()).toEqual(
      [
        'task_group_name',
        'function_name',
        'cron_expression',
        'kwargs',
        'name',
        'description',
        'high_priority',
        'tags',
        'retry_backoff',
        'retry_backoff_max',
        'allow_parallel',
        'time_zone',
        'max_attempts',
        'timeout_ms',
        'misfire_policy',
      ].sort(),
    );
    expect(body.required!.sort()).toEqual(['cron_expression', 'function_name', 'task_group_name']);

    // PATCH /tasks: the task named as DELETE /tasks names it, every field optional, answering a TaskDetailed.
    const update = doc.paths['/task-manager/tasks'].patch;
    expect(update.summary).toBe('Update a dynamic task');
    expect(update.requestBody!.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/UpdateDynamicTaskRequest',
    );
    const patchBody = resolve(update.requestBody!.content['application/json'].schema);
    expect(Object.keys(patchBody.properties!).sort()).toEqual(
      [
        'cron_expression',
        'time_zone',
        'kwargs',
        'description',
        'tags',
        'high_priority',
        'enabled',
        'allow_parallel',
        'max_attempts',
        'timeout_ms',
        'misfire_policy',
        'retry_backoff',
        'retry_backoff_max',
      ].sort(),
    );
    expect(patchBody.required ?? []).toEqual([]);
    expect(okSchema(update).$ref).toBe('#/components/schemas/TaskDetailed');
    expect(Object.keys(update.responses)).toEqual(expect.arrayContaining(['200', '400', '404', '409', '413']));

    // POST /tasks/trigger: an optional body with kwargs.
    const trigger = doc.paths['/task-manager/tasks/trigger'].post;
    expect(trigger.requestBody!.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/TriggerTasksRequest',
    );
    expect((trigger.requestBody as { required?: boolean }).required).not.toBe(true);

    const params = (path: string, method: string) =>
      doc.paths[path][method].parameters!.map((p) => `${p.in}:${p.name}${p.required ? '!' : ''}`).sort();
    expect(params('/task-manager/tasks', 'get')).toEqual(
      ['query:limit', 'query:name', 'query:offset', 'query:tag', 'query:task_group_name', 'query:task_name'].sort(),
    );
    expect(params('/task-manager/tasks/disable', 'post')).toEqual(
      ['query:name', 'query:tag', 'query:task_group_name', 'query:task_name'].sort(),
    );
    expect(params('/task-manager/tasks', 'delete')).toEqual(['query:task_group_name!', 'query:task_name!']);
    expect(params('/task-manager/tasks', 'patch')).toEqual(['query:task_group_name!', 'query:task_name!']);
    expect(params('/task-manager/tasks/{task_group_name}/{task_name}/statistics', 'get')).toEqual([
      'path:task_group_name!',
      'path:task_name!',
    ]);
    expect(params('/task-manager/task-groups', 'get')).toEqual(['query:name', 'query:tag']);
    expect(params('/task-manager/functions', 'get')).toEqual(['query:task_group_name']);
  });

  it('names the schemas as FastAPI Task Manager does and documents their fields and nulls', () => {
    const schemas = doc.components.schemas;
    for (const name of [
      'HealthResponse',
      'ConfigResponse',
      'TaskGroup',
      'TaskDetailed',
      'TaskStatistics',
      'TaskRun',
      'TaskActionResponse',
      'AffectedTask',
      'RegisteredFunctionsResponse',
      'DynamicTaskResponse',
      'CreateDynamicTaskRequest',
      'ErrorResponse',
    ])
      expect(schemas, name).toHaveProperty(name);
    expect(Object.keys(schemas.TaskDetailed.properties!).sort()).toEqual(shape(SHAPES.taskDetailed));
    expect(Object.keys(schemas.DynamicTaskResponse.properties!).sort()).toEqual(shape(SHAPES.dynamicTask));
    expect(Object.keys(schemas.HealthResponse.properties!).sort()).toEqual(shape(SHAPES.health));
    for (const field of ['description', 'next_run', 'retry_after', 'retry_delay', 'kwargs', 'function_name'])
      expect(schemas.TaskDetailed.properties![field].nullable, field).toBe(true);
    expect(schemas.TaskDetailed.properties!.is_active.nullable).toBeFalsy();
    const list = okSchema(doc.paths['/task-manager/tasks'].get);
    expect(list).toEqual({ type: 'array', items: { $ref: '#/components/schemas/TaskDetailed' } });
  });

  it('serves Swagger UI at /docs, and the API without a key by default', async () => {
    const http = request(app.getHttpServer());
    expect((await http.get('/docs').expect(200)).text).toMatch(/swagger/i);
    await http.get('/task-manager/health').expect(200);
    // The demo enables the dashboard, left out of the document.
    const dashboard = await http.get('/task-manager/dashboard').expect(200);
    expect(dashboard.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(Object.keys(doc.paths).filter((p) => p.includes('dashboard'))).toEqual([]);
  });

  it('requires x-api-key on every endpoint when TASK_MANAGER_API_KEY is set', async () => {
    const guarded = await startDemo({
      REDIS_URL: redisUrl(),
      TASK_MANAGER_PREFIX: prefix,
      TASK_MANAGER_API_KEY: 'demo-key',
    });
    try {
      const http = request(guarded.getHttpServer());
      for (const op of OPERATIONS) {
        const path = op.path.replace('{task_group_name}', 'Reports').replace('{task_name}', 'send_digest-1');
        const res = await http[op.method](`/task-manager${path}`);
        expect([op.path, res.status, res.body.detail]).toEqual([op.path, 401, 'Missing or invalid x-api-key header']);
      }
      await http.get('/task-manager/tasks').set('x-api-key', 'wrong').expect(401);
      // Browsers (the dashboard) are challenged for HTTP Basic credentials, the key as password.
      const page = await http.get('/task-manager/dashboard').expect(401);
      expect(page.headers['www-authenticate']).toMatch(/^Basic realm="task-manager"/);
      await http.get('/task-manager/dashboard').auth('admin', 'wrong').expect(401);
      await http.get('/task-manager/dashboard').auth('admin', 'demo-key').expect(200);
      await http.get('/task-manager/workers').auth('', 'demo-key').expect(200);
      const tasks = await http.get('/task-manager/tasks').set('x-api-key', 'demo-key').expect(200);
      expect(tasks.body.map((t: { name: string }) => t.name)).toEqual(
        expect.arrayContaining(['tick', 'send_digest-1', 'send_digest-2', 'refresh_cache']),
      );
    } finally {
      await guarded.close();
    }
  });

  it('hides the API from the document with api.swagger: false', async () => {
    const hidden = await startApiApp({ groups: [ApiTasks], label: 'api-noswagger', api: { swagger: false } });
    try {
      const document = SwaggerModule.createDocument(hidden.app, {
        openapi: '3.0.0',
        info: { title: 't', version: '1' },
      });
      expect(Object.keys(document.paths).filter((p) => p.startsWith('/task-manager'))).toEqual([]);
      await hidden.http.get('/task-manager/health').expect(200);
    } finally {
      await hidden.dispose();
    }
  });
});
