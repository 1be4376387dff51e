/**
 * The task spec, rule by rule, through every entry point: a `@Task` / `@TaskGroup` declaration booted by the
 * explorer, `TaskManagerService.createDynamicTask`, `POST /tasks` (DTO and validation pipe), a dynamic task
 * read back from the store, and the update of a dynamic task (`updateDynamicTask`, `PATCH /tasks`; rows setting a
 * name apart: a name never changes). Every invalid row is refused by all of them; every valid row is accepted by
 * all of them.
 */
import { Injectable, Module, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterFunction } from '../src/decorators/register-function.decorator.js';
import { TaskGroup } from '../src/decorators/task-group.decorator.js';
import { Task, type TaskOptions } from '../src/decorators/task.decorator.js';
import { TaskManagerError } from '../src/errors/task-manager.error.js';
import { TaskManagerConfigurationError } from '../src/errors/task-manager-configuration.error.js';
import type { CreateDynamicTaskInput } from '../src/registry/dynamic-task.js';
import { parseDynamicTaskRecord } from '../src/registry/dynamic-task.js';
import { TaskManagerModule } from '../src/task-manager.module.js';
import { TaskManagerService } from '../src/task-manager.service.js';

const NEVER = '0 0 1 1 *';
const MAX_KWARGS_BYTES = 65_536;

/** The fields a row sets, in the camelCase of `CreateDynamicTaskInput`. */
interface Fields {
  name?: unknown;
  cronExpression?: unknown;
  timeZone?: unknown;
  retryBackoff?: unknown;
  retryBackoffMax?: unknown;
  tags?: unknown;
  kwargs?: unknown;
  description?: unknown;
  highPriority?: unknown;
  allowParallel?: unknown;
  maxAttempts?: unknown;
  timeoutMs?: unknown;
  misfirePolicy?: unknown;
}

interface Row {
  /** The rule the row breaks (or the case it shows valid). */
  rule: string;
  fields: Fields;
}

const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });

const INVALID: Row[] = [
  { rule: 'name: not "."', fields: { name: '.' } },
  { rule: 'name: not ".."', fields: { name: '..' } },
  { rule: 'name: no control character (newline)', fields: { name: 'a\nb' } },
  { rule: 'name: no control character (DEL)', fields: { name: 'a\u007fb' } },
  { rule: 'name: no leading whitespace', fields: { name: ' report' } },
  { rule: 'name: no trailing whitespace', fields: { name: 'report ' } },
  { rule: 'name: not empty', fields: { name: '' } },
  { rule: 'name: not blank', fields: { name: '   ' } },
  { rule: 'name: at most 1024 characters', fields: { name: 'x'.repeat(1025) } },
  { rule: 'name: valid Unicode (no lone surrogate)', fields: { name: 'a\uD800b' } },
  { rule: 'name: a string', fields: { name: 42 } },
  { rule: 'cron: a value out of range', fields: { cronExpression: '61 * * * *' } },
  { rule: 'cron: a step within its field', fields: { cronExpression: '*/61 * * * *' } },
  { rule: 'cron: 5 or 6 fields', fields: { cronExpression: '* * *' } },
  { rule: 'cron: 5 or 6 fields (7)', fields: { cronExpression: '* * * * * * *' } },
  { rule: 'cron: not empty', fields: { cronExpression: '' } },
  { rule: 'cron: a known nickname', fields: { cronExpression: '@fortnightly' } },
  { rule: 'cron: at most 256 characters', fields: { cronExpression: `0 ${'0,'.repeat(200)}0 * * *` } },
  { rule: 'cron: a string', fields: { cronExpression: 5 } },
  { rule: 'time zone: an IANA zone', fields: { timeZone: 'Mars/Olympus_Mons' } },
  { rule: 'time zone: not empty', fields: { timeZone: '' } },
  { rule: 'time zone: a string', fields: { timeZone: 1 } },
  { rule: 'retryBackoff: > 0 (negative)', fields: { retryBackoff: -5 } },
  { rule: 'retryBackoff: > 0 (zero)', fields: { retryBackoff: 0 } },
  { rule: 'retryBackoff: at most one year', fields: { retryBackoff: 31_536_001 } },
  { rule: 'retryBackoff: a number', fields: { retryBackoff: '5' } },
  { rule: 'retryBackoffMax: > 0', fields: { retryBackoffMax: -1 } },
  { rule: 'retryBackoffMax: >= retryBackoff', fields: { retryBackoff: 10, retryBackoffMax: 5 } },
  { rule: 'tags: at most 100', fields: { tags: Array.from({ length: 5000 }, (_, i) => `t${i}`) } },
  { rule: 'tags: non-empty', fields: { tags: [''] } },
  { rule: 'tags: non-blank', fields: { tags: ['  '] } },
  { rule: 'tags: at most 200 characters each', fields: { tags: ['x'.repeat(201)] } },
  { rule: 'tags: strings', fields: { tags: [1] } },
  { rule: 'tags: an array', fields: { tags: 'nightly' } },
  { rule: 'kwargs: an object, not an array', fields: { kwargs: [1, 2] } },
  { rule: 'kwargs: an object, not a string', fields: { kwargs: 'x' } },
  { rule: 'kwargs: nested at most 32 levels', fields: { kwargs: nested(40) } },
  { rule: 'kwargs: no prototype keys', fields: { kwargs: { a: { constructor: { prototype: 1 } } } } },
  { rule: 'kwargs: at most maxKwargsBytes', fields: { kwargs: { blob: 'x'.repeat(70 * 1024) } } },
  { rule: 'description: at most 10,000 characters', fields: { description: 'x'.repeat(10_001) } },
  { rule: 'description: a string', fields: { description: 12 } },
  { rule: 'highPriority: a boolean', fields: { highPriority: 'true' } },
  { rule: 'allowParallel: a boolean', fields: { allowParallel: 'yes' } },
  { rule: 'maxAttempts: >= 1', fields: { maxAttempts: 0 } },
  { rule: 'maxAttempts: an integer', fields: { maxAttempts: 1.5 } },
  { rule: 'maxAttempts: a number', fields: { maxAttempts: '2' } },
  { rule: 'timeoutMs: > 0', fields: { timeoutMs: 0 } },
  { rule: 'timeoutMs: a number', fields: { timeoutMs: '500' } },
  { rule: 'misfirePolicy: a known policy', fields: { misfirePolicy: 'often' } },
];

const VALID: Row[] = [
  { rule: 'defaults', fields: {} },
  { rule: 'a name with spaces, slashes and unicode inside', fields: { name: 'weekly report/é 😀:*' } },
  { rule: 'a name of 1024 characters', fields: { name: 'n'.repeat(1024) } },
  { rule: 'a nickname', fields: { cronExpression: '@daily' } },
  { rule: '6 fields (seconds first)', fields: { cronExpression: '*/10 * * * * *' } },
  { rule: 'named weekdays', fields: { cronExpression: '0 9 * * MON-FRI' } },
  { rule: 'a time zone', fields: { timeZone: 'Europe/Paris' } },
  { rule: 'backoffs', fields: { retryBackoff: 0.5, retryBackoffMax: 31_536_000 } },
  { rule: 'equal backoffs', fields: { retryBackoff: 5, retryBackoffMax: 5 } },
  {
    rule: '100 tags of 200 characters',
    fields: { tags: Array.from({ length: 100 }, (_, i) => `${i}`.padEnd(200, 't')) },
  },
  { rule: 'kwargs nested 32 levels', fields: { kwargs: nested(31) as object } },
  { rule: 'kwargs with any other key', fields: { kwargs: { prototypes: 1, 'a.b': [{ c: null }] } } },
  { rule: 'a 10,000-character description', fields: { description: 'd'.repeat(10_000) } },
  { rule: 'flags', fields: { highPriority: true, allowParallel: false } },
  { rule: 'run options', fields: { maxAttempts: 3, timeoutMs: 1500, misfirePolicy: 'skip' } },
];

// ---------------------------------------------------------------------------------------------------
// The four entry points. Each answers whether it accepted the fields, and why not.
// ---------------------------------------------------------------------------------------------------

type Verdict = { accepted: true } | { accepted: false; reason: string };

@TaskGroup({ name: 'Spec' })
@Injectable()
class SpecTasks {
  @RegisterFunction('fn')
  fn(): void {}
}

@Module({ providers: [SpecTasks] })
class SpecModule {}

/** `@Task(cron, options)` on a fresh group, booted by the explorer in a Nest application context. */
async function throughDecorators(fields: Fields): Promise<Verdict> {
  const { cronExpression, kwargs, ...rest } = fields;
  const options = { ...rest, ...(kwargs === undefined ? {} : { kwargs }) } as TaskOptions;
  class Declared {
    run(): void {}
  }
  Reflect.decorate(
    [Task((cronExpression ?? NEVER) as string, options)],
    Declared.prototype,
    'run',
    Object.getOwnPropertyDescriptor(Declared.prototype, 'run'),
  );
  const group = Reflect.decorate([TaskGroup({ name: 'Declared' }), Injectable()], Declared) as Type;
  @Module({ imports: [TaskManagerModule.forRoot({ keyPrefix: 'spec-table', autoStart: false })], providers: [group] })
  class BootModule {}
  try {
    const app = await NestFactory.createApplicationContext(BootModule, { logger: false, abortOnError: false });
    await app.close();
    return { accepted: true };
  } catch (error) {
    if (!(error instanceof TaskManagerConfigurationError)) throw error;
    return { accepted: false, reason: error.message };
  }
}

function dynamicInput(fields: Fields, name: string): CreateDynamicTaskInput {
  return {
    groupName: 'Spec',
    functionName: 'fn',
    cronExpression: NEVER,
    ...fields,
    ...(fields.name === undefined ? { name } : {}),
  } as CreateDynamicTaskInput;
}

const snakeCase = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** `POST /tasks` with the fields in snake_case. */
async function throughHttp(app: INestApplication, fields: Fields, name: string): Promise<Verdict> {
  const { groupName, functionName, ...rest } = dynamicInput(fields, name);
  const body = Object.fromEntries(Object.entries(rest).map(([key, value]) => [snakeCase(key), value]));
  const res = await request(app.getHttpServer())
    .post('/tm/tasks')
    .send({ task_group_name: groupName, function_name: functionName, ...body });
  if (res.status === 200) {
    await app.get(TaskManagerService).deleteDynamicTask(groupName, res.body.task_name);
    return { accepted: true };
  }
  expect([400, 413], JSON.stringify(res.body)).toContain(res.status);
  return { accepted: false, reason: `${res.status} ${res.body.detail}` };
}

async function throughService(service: TaskManagerService, fields: Fields, name: string): Promise<Verdict> {
  try {
    const task = await service.createDynamicTask(dynamicInput(fields, name));
    await service.deleteDynamicTask(task.groupName, task.name);
    return { accepted: true };
  } catch (error) {
    if (!(error instanceof TaskManagerError)) throw error;
    return { accepted: false, reason: `${error.name}: ${error.message}` };
  }
}

/** A stored definition carrying the fields, read back as the loader of every instance reads it. */
function throughStore(fields: Fields): Verdict {
  const record = {
    group: 'Spec',
    name: fields.name ?? 'stored',
    function: 'fn',
    expression: fields.cronExpression ?? NEVER,
    timeZone: fields.timeZone ?? 'UTC',
    kwargs: fields.kwargs ?? null,
    description: fields.description ?? null,
    tags: fields.tags ?? [],
    highPriority: fields.highPriority ?? false,
    retryBackoff: fields.retryBackoff ?? null,
    retryBackoffMax: fields.retryBackoffMax ?? null,
    allowParallel: fields.allowParallel ?? null,
    maxAttempts: fields.maxAttempts ?? null,
    timeoutMs: fields.timeoutMs ?? null,
    misfirePolicy: fields.misfirePolicy ?? null,
    createdAt: 1_700_000_000_000,
  };
  try {
    parseDynamicTaskRecord(JSON.stringify(record), MAX_KWARGS_BYTES);
    return { accepted: true };
  } catch (error) {
    return { accepted: false, reason: (error as Error).message };
  }
}

/** The dynamic task every update row changes (created once). */
const UPDATED = 'updated';

/** The update a row makes: its fields; an empty update is refused by design, so "defaults" sends a default. */
const givenUpdate = (fields: Fields): Fields => (Object.keys(fields).length > 0 ? fields : { highPriority: false });

/** `updateDynamicTask` with the fields (a row setting a name does not apply: undefined). */
async function throughUpdate(service: TaskManagerService, fields: Fields): Promise<Verdict | undefined> {
  if ('name' in fields) return undefined;
  try {
    await service.updateDynamicTask('Spec', UPDATED, givenUpdate(fields) as Record<string, never>);
    return { accepted: true };
  } catch (error) {
    if (!(error instanceof TaskManagerError)) throw error;
    return { accepted: false, reason: `${error.name}: ${error.message}` };
  }
}

/** `PATCH /tasks` with the fields in snake_case (a row setting a name does not apply: undefined). */
async function throughPatch(app: INestApplication, fields: Fields): Promise<Verdict | undefined> {
  if ('name' in fields) return undefined;
  const body = Object.fromEntries(Object.entries(givenUpdate(fields)).map(([key, value]) => [snakeCase(key), value]));
  const res = await request(app.getHttpServer())
    .patch('/tm/tasks')
    .query({ task_group_name: 'Spec', task_name: UPDATED })
    .send(body);
  if (res.status === 200) return { accepted: true };
  expect([400, 413], JSON.stringify(res.body)).toContain(res.status);
  return { accepted: false, reason: `${res.status} ${res.body.detail}` };
}

describe('the task spec, through every entry point', () => {
  let app: INestApplication;
  let service: TaskManagerService;
  let created = 0;
  const uniqueName = () => `task_${++created}`;

  beforeAll(async () => {
    @Module({
      imports: [
        TaskManagerModule.forRoot({ keyPrefix: 'spec-table', maxKwargsBytes: MAX_KWARGS_BYTES, api: { path: 'tm' } }),
        SpecModule,
      ],
    })
    class HttpModule {}
    app = await NestFactory.create(HttpModule, { logger: false });
    await app.init();
    service = app.get(TaskManagerService);
    await service.createDynamicTask({ groupName: 'Spec', functionName: 'fn', cronExpression: NEVER, name: UPDATED });
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each(INVALID.map((row) => [row.rule, row] as const))('refuses everywhere: %s', async (_rule, { fields }) => {
    const verdicts = {
      decorators: await throughDecorators(fields),
      service: await throughService(service, fields, uniqueName()),
      http: await throughHttp(app, fields, uniqueName()),
      store: throughStore(fields),
      update: await throughUpdate(service, fields),
      patch: await throughPatch(app, fields),
    };
    for (const [entry, verdict] of Object.entries(verdicts)) {
      if (verdict) expect(verdict.accepted, `${entry} accepted it`).toBe(false);
    }
  });

  it.each(VALID.map((row) => [row.rule, row] as const))('accepts everywhere: %s', async (_rule, { fields }) => {
    const verdicts = {
      decorators: await throughDecorators(fields),
      service: await throughService(service, fields, uniqueName()),
      http: await throughHttp(app, fields, uniqueName()),
      store: throughStore(fields),
      update: await throughUpdate(service, fields),
      patch: await throughPatch(app, fields),
    };
    const applies = !('name' in fields);
    expect(verdicts).toEqual({
      decorators: { accepted: true },
      service: { accepted: true },
      http: { accepted: true },
      store: { accepted: true },
      update: applies ? { accepted: true } : undefined,
      patch: applies ? { accepted: true } : undefined,
    });
  });

  it('refuses an invalid group declaration at boot, by the same name rule', async () => {
    for (const name of ['..', 'a\nb', 'padded ', '', 'x'.repeat(1025)]) {
      const group = Reflect.decorate([TaskGroup({ name }), Injectable()], class Bad {}) as Type;
      @Module({
        imports: [TaskManagerModule.forRoot({ keyPrefix: 'spec-table', autoStart: false })],
        providers: [group],
      })
      class BootModule {}
      await expect(
        NestFactory.createApplicationContext(BootModule, { logger: false, abortOnError: false }),
        JSON.stringify(name),
      ).rejects.toThrow(/Invalid @TaskGroup on Bad: `name` must/);
    }
  });
});
