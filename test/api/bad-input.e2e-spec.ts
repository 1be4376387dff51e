/**
 * Table-driven bad input against the management API: every case must answer 4xx (never 5xx) with a
 * `detail` naming the problem, and must leave Redis exactly as it was.
 */
import { Redis } from 'ioredis';
import { redisUrl } from '../support/redis.js';
import { startApiApp, type ApiApp } from './api-app.js';
import { ApiTasks, NEVER, OtherTasks } from './fixtures.js';

const BASE = '/task-manager';

interface Case {
  name: string;
  method?: 'get' | 'post' | 'patch' | 'delete';
  path?: string;
  query?: string;
  /** JSON body (serialized), or a raw string sent as is. */
  body?: unknown;
  raw?: string;
  contentType?: string;
  status: number;
  detail: RegExp;
}

const valid = { task_group_name: 'Api', function_name: 'echo', cron_expression: NEVER, name: 'new_task' };
const create = (overrides: Record<string, unknown>, name: string, status: number, detail: RegExp): Case => ({
  name,
  method: 'post',
  path: '/tasks',
  body: { ...valid, ...overrides },
  status,
  detail,
});
/** Overrides removing `key` from the body (JSON drops undefined properties). */
const without = (key: keyof typeof valid): Record<string, unknown> => ({ [key]: undefined });
const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });
/** A PATCH /tasks of the dynamic task `task` (created before the table runs) with `body`. */
const update = (body: unknown, name: string, status: number, detail: RegExp, task = 'dyn'): Case => ({
  name,
  method: 'patch',
  path: '/tasks',
  query: `task_group_name=Api&task_name=${task}`,
  body,
  status,
  detail,
});
/** A POST /tasks/trigger of the tasks matching `query` with `body`. */
const trigger = (query: string, body: unknown, name: string, status: number, detail: RegExp): Case => ({
  name,
  method: 'post',
  path: '/tasks/trigger',
  query,
  body,
  status,
  detail,
});

const CASES: Case[] = [
  // Malformed or non-object bodies
  {
    name: 'malformed JSON',
    method: 'post',
    path: '/tasks',
    raw: '{"task_group_name": "Api",',
    status: 400,
    detail: /not a valid JSON object/,
  },
  {
    name: 'JSON with a trailing comma',
    method: 'post',
    path: '/tasks',
    raw: '{"a": 1,}',
    status: 400,
    detail: /not a valid JSON object/,
  },
  {
    name: 'JSON array body',
    method: 'post',
    path: '/tasks',
    raw: '[1, 2]',
    status: 400,
    detail: /must be a JSON object/,
  },
  { name: 'JSON null body', method: 'post', path: '/tasks', raw: 'null', status: 400, detail: /JSON/ },
  {
    name: 'text/plain body',
    method: 'post',
    path: '/tasks',
    raw: JSON.stringify(valid),
    contentType: 'text/plain',
    status: 400,
    detail: /must be a JSON object/,
  },
  { name: 'empty body', method: 'post', path: '/tasks', raw: '', status: 400, detail: /task_group_name|JSON object/ },
  create({ description: 'x'.repeat(200_000) }, 'body over the parser limit', 413, /too large/i),
  // Missing required fields and wrong types
  create(without('task_group_name'), 'missing task_group_name', 400, /task_group_name is required/),
  create(without('function_name'), 'missing function_name', 400, /function_name is required/),
  create(without('cron_expression'), 'missing cron_expression', 400, /cron_expression is required/),
  create({ task_group_name: 42 }, 'numeric task_group_name', 400, /task_group_name must be a string/),
  create({ function_name: ['echo'] }, 'array function_name', 400, /function_name must be a string/),
  create({ high_priority: 'true' }, 'string high_priority', 400, /high_priority must be true or false/),
  create({ tags: 'dyn' }, 'string tags', 400, /tags must be an array of strings/),
  create({ tags: [1] }, 'numeric tag', 400, /tags \[0\] must be a non-empty string/),
  create({ tags: [''] }, 'empty tag', 400, /tags \[0\] must be a non-empty string/),
  create({ description: 12 }, 'numeric description', 400, /description must be a string/),
  create({ retry_backoff: -1 }, 'negative retry_backoff', 400, /retry_backoff must be > 0/),
  create({ retry_backoff: '5' }, 'string retry_backoff', 400, /retry_backoff must be a number/),
  create({ retry_backoff_max: 0 }, 'zero retry_backoff_max', 400, /retry_backoff_max must be > 0/),
  create(
    { retry_backoff: 10, retry_backoff_max: 5 },
    'retry_backoff_max below retry_backoff',
    400,
    /retry_backoff_max must be >= retry_backoff/,
  ),
  {
    name: 'infinite retry_backoff',
    method: 'post',
    path: '/tasks',
    raw: JSON.stringify(valid).replace('}', ',"retry_backoff":1e400}'),
    status: 400,
    detail: /retry_backoff must be a number/,
  },
  create({ foo: 1 }, 'unknown body field', 400, /foo is not a known parameter/),
  create({ timezone: 'Europe/Paris' }, 'misspelt optional field', 400, /timezone is not a known parameter/),
  // Empty strings and bad names
  create({ function_name: '' }, 'empty function_name', 400, /function_name must not be empty/),
  create({ task_group_name: '   ' }, 'blank task_group_name', 400, /task_group_name must not be empty/),
  create({ name: '' }, 'empty name', 400, /name must not be empty/),
  create({ name: '..' }, 'name ".."', 400, /name must not be "\." or "\.\."/),
  create({ name: 'a\nb' }, 'name with a newline', 400, /name must not contain control characters/),
  create({ name: ' padded ' }, 'name with surrounding spaces', 400, /name must not start or end with whitespace/),
  create({ name: 'x'.repeat(2000) }, 'name too long', 400, /name must be at most 1024 characters/),
  create(
    { task_group_name: '../../etc/passwd' },
    'path traversal in the group',
    404,
    /Task group "\.\.\/\.\.\/etc\/passwd" does not exist/,
  ),
  // Cron expressions and time zones
  create({ cron_expression: '' }, 'empty cron', 400, /cron_expression must not be empty/),
  create({ cron_expression: '60 * * * *' }, 'minute 60', 400, /cron_expression is invalid/),
  create({ cron_expression: '* * * * * * *' }, '7 fields', 400, /7 field\(s\); expected 5/),
  create({ cron_expression: '* * *' }, '3 fields', 400, /3 field\(s\)/),
  create({ cron_expression: 'every day' }, 'words', 400, /cron_expression is invalid/),
  create({ cron_expression: '0 25 * * *' }, 'hour 25', 400, /cron_expression is invalid/),
  create({ cron_expression: 5 }, 'numeric cron', 400, /cron_expression must be a string/),
  create({ time_zone: 'Mars/Olympus_Mons' }, 'unknown time zone', 400, /time_zone must be an IANA time zone/),
  create({ time_zone: '' }, 'empty time zone', 400, /time_zone must be an IANA time zone/),
  create({ time_zone: 1 }, 'numeric time zone', 400, /time_zone must be a string/),
  // kwargs
  create({ kwargs: [1, 2] }, 'array kwargs', 400, /kwargs must be a JSON object/),
  create({ kwargs: 'x' }, 'string kwargs', 400, /kwargs must be a JSON object/),
  {
    name: '__proto__ in kwargs',
    method: 'post',
    path: '/tasks',
    raw: JSON.stringify(valid).replace('}', ',"kwargs":{"__proto__":{"polluted":true}}}'),
    status: 400,
    detail: /kwargs\.__proto__: the keys __proto__, constructor and prototype are not allowed/,
  },
  create({ kwargs: { constructor: { prototype: 1 } } }, 'constructor in kwargs', 400, /kwargs\.constructor/),
  create(
    { kwargs: { a: { b: [{ prototype: 1 }] } } },
    'nested prototype in kwargs',
    400,
    /kwargs\.a\.b\[0\]\.prototype/,
  ),
  {
    name: '__proto__ at the top level',
    method: 'post',
    path: '/tasks',
    raw: JSON.stringify(valid).replace('}', ',"__proto__":{"x":1}}'),
    status: 400,
    detail: /__proto__/,
  },
  create({ kwargs: nested(40) }, 'kwargs nested 40 deep', 400, /kwargs must not be nested more than 32 levels/),
  create({ kwargs: { blob: 'x'.repeat(70 * 1024) } }, 'kwargs over 64 KiB', 413, /limit is 65536 bytes/),
  create(
    { kwargs: { recipient: 'not-an-email' }, function_name: 'send_email' },
    'kwargs failing the function DTO',
    400,
    /recipient must be an email/,
  ),
  // Unknown group, function or task
  create({ task_group_name: 'Nope' }, 'unknown group', 404, /Task group "Nope" does not exist/),
  create(
    { function_name: 'nope' },
    'unregistered function',
    400,
    /Function "nope" is not registered in group "Api" \(registered: /,
  ),
  create({ name: 'static_task' }, 'duplicate of a static task', 409, /already exists/),
  // Query parameters
  {
    name: 'limit=-1',
    path: '/tasks',
    query: 'limit=-1',
    status: 400,
    detail: /limit must be an integer between 1 and/,
  },
  { name: 'limit=0', path: '/tasks', query: 'limit=0', status: 400, detail: /limit must be an integer/ },
  { name: 'limit=abc', path: '/tasks', query: 'limit=abc', status: 400, detail: /limit must be an integer/ },
  { name: 'limit=1.5', path: '/tasks', query: 'limit=1.5', status: 400, detail: /limit must be an integer/ },
  {
    name: 'offset=-5',
    path: '/tasks',
    query: 'offset=-5',
    status: 400,
    detail: /offset must be an integer between 0 and/,
  },
  { name: 'empty tag filter', path: '/tasks', query: 'tag=', status: 400, detail: /tag must not be empty/ },
  { name: 'repeated tag filter', path: '/tasks', query: 'tag=a&tag=b', status: 400, detail: /tag must be a string/ },
  { name: 'conflicting name aliases', path: '/tasks', query: 'name=a&task_name=b', status: 400, detail: /aliases/ },
  {
    name: 'unknown query parameter',
    path: '/tasks',
    query: 'group=Api',
    status: 400,
    detail: /group is not a known parameter/,
  },
  {
    name: 'empty group name on /task-groups',
    path: '/task-groups',
    query: 'name=',
    status: 400,
    detail: /name must not be empty/,
  },
  {
    name: 'empty group on /functions',
    path: '/functions',
    query: 'task_group_name=',
    status: 400,
    detail: /task_group_name must not be empty/,
  },
  {
    name: 'misspelt filter on a bulk action',
    method: 'post',
    path: '/tasks/disable',
    query: 'group=Api',
    status: 400,
    detail: /group is not a known parameter/,
  },
  {
    name: 'empty filter on a bulk action',
    method: 'post',
    path: '/tasks/trigger',
    query: 'task_group_name=',
    status: 400,
    detail: /task_group_name must not be empty/,
  },
  {
    name: 'bulk action on an unknown group',
    method: 'post',
    path: '/tasks/reset-retry',
    query: 'task_group_name=Nope',
    status: 404,
    detail: /No task matches task_group_name="Nope"/,
  },
  {
    name: 'clear statistics matching nothing',
    method: 'delete',
    path: '/tasks/statistics',
    query: 'tag=nope',
    status: 404,
    detail: /No task matches tag="nope"/,
  },
  {
    name: 'malformed JSON on a bulk action',
    method: 'post',
    path: '/tasks/enable',
    raw: '{oops',
    status: 400,
    detail: /not a valid JSON object/,
  },
  // DELETE /tasks and statistics paths
  {
    name: 'DELETE /tasks without parameters',
    method: 'delete',
    path: '/tasks',
    status: 400,
    detail: /task_group_name is required; task_name is required/,
  },
  {
    name: 'DELETE /tasks with an empty name',
    method: 'delete',
    path: '/tasks',
    query: 'task_group_name=Api&task_name=',
    status: 400,
    detail: /task_name must not be empty/,
  },
  {
    name: 'DELETE a static task',
    method: 'delete',
    path: '/tasks',
    query: 'task_group_name=Api&task_name=static_task',
    status: 400,
    detail: /static/,
  },
  {
    name: 'DELETE an unknown task',
    method: 'delete',
    path: '/tasks',
    query: 'task_group_name=Api&task_name=nope',
    status: 404,
    detail: /No dynamic task "nope"/,
  },
  {
    name: 'statistics of an unknown task',
    path: '/tasks/Api/nope/statistics',
    status: 404,
    detail: /No task "nope" in group "Api"/,
  },
  {
    name: 'statistics with path traversal',
    path: '/tasks/..%2F..%2Fetc/passwd/statistics',
    status: 404,
    detail: /No task "passwd" in group "\.\.\/\.\.\/etc"/,
  },
  {
    name: 'statistics with bad percent-encoding',
    path: '/tasks/%E0%A4%A/x/statistics',
    status: 400,
    detail: /percent-encoding/,
  },
  { name: 'unknown path under the API', path: '/nope', status: 404, detail: /^Not Found$/ },
  {
    name: 'wrong method on an API path',
    method: 'post',
    path: '/health',
    status: 405,
    detail: /Method Not Allowed: use GET/,
  },
  { name: 'GET on a POST-only action', path: '/tasks/trigger', status: 405, detail: /use POST/ },
  // Run options of dynamic tasks (POST /tasks)
  create({ max_attempts: 0 }, 'max_attempts 0', 400, /max_attempts must be an integer >= 1/),
  create({ max_attempts: 1.5 }, 'fractional max_attempts', 400, /max_attempts must be an integer >= 1/),
  create({ timeout_ms: -5 }, 'negative timeout_ms', 400, /timeout_ms must be a positive number/),
  create({ misfire_policy: 'sometimes' }, 'unknown misfire_policy', 400, /misfire_policy must be one of runOnce/),
  // PATCH /tasks
  {
    name: 'PATCH /tasks without parameters',
    method: 'patch',
    path: '/tasks',
    body: { description: 'x' },
    status: 400,
    detail: /task_group_name is required; task_name is required/,
  },
  update({}, 'PATCH with an empty body', 400, /gives no field to change: give at least one of cron_expression/),
  update({ cron: '* * * * *' }, 'PATCH with an unknown field', 400, /cron is not a known parameter/),
  update({ name: 'renamed' }, 'PATCH of the name', 400, /name is not a known parameter/),
  update({ cron_expression: '61 * * * *' }, 'PATCH with a bad cron', 400, /cron_expression is invalid/),
  update({ cron_expression: null }, 'PATCH with a null cron', 400, /cron_expression must not be null: omit it/),
  update({ high_priority: 'true' }, 'PATCH with a string flag', 400, /high_priority must be true or false/),
  update({ enabled: null }, 'PATCH with enabled null', 400, /enabled must not be null/),
  update({ time_zone: 'Mars/Base' }, 'PATCH with an unknown time zone', 400, /time_zone must be an IANA time zone/),
  update({ kwargs: [1] }, 'PATCH with kwargs an array', 400, /kwargs must be a JSON object/),
  update({ max_attempts: 0 }, 'PATCH with max_attempts 0', 400, /max_attempts must be an integer >= 1/),
  update({ misfire_policy: 'later' }, 'PATCH with an unknown misfire_policy', 400, /misfire_policy must be one of/),
  update(
    { retry_backoff: 10, retry_backoff_max: 5 },
    'PATCH with retry_backoff_max below retry_backoff',
    400,
    /retry_backoff_max must be >= retry_backoff/,
  ),
  update(
    { retry_backoff_max: 5 },
    'PATCH with retry_backoff_max below the stored retry_backoff',
    400,
    /retryBackoffMax must be >= retryBackoff \(10\)/,
  ),
  update({ kwargs: { blob: 'x'.repeat(70 * 1024) } }, 'PATCH with kwargs over 64 KiB', 413, /limit is 65536 bytes/),
  update(
    { kwargs: { recipient: 'not-an-email' } },
    "PATCH with kwargs the function's DTO refuses",
    400,
    /Invalid kwargs for function "send_email": kwargs\.recipient/,
    'mail',
  ),
  update(
    { description: 'x' },
    'PATCH of a static task',
    400,
    /static \(declared with @Task\); only dynamic tasks can be updated/,
    'static_task',
  ),
  update({ description: 'x' }, 'PATCH of an unknown task', 404, /No dynamic task "nope" in group "Api"/, 'nope'),
  {
    name: 'PATCH in an unknown group',
    method: 'patch',
    path: '/tasks',
    query: 'task_group_name=Nope&task_name=dyn',
    body: { description: 'x' },
    status: 404,
    detail: /Task group "Nope" does not exist/,
  },
  // POST /tasks/trigger with kwargs
  trigger('name=static_task', { kwargs: [1] }, 'trigger with kwargs an array', 400, /kwargs must be a JSON object/),
  trigger('name=static_task', { kw: {} }, 'trigger with an unknown body field', 400, /kw is not a known parameter/),
  trigger(
    'name=static_task',
    { kwargs: { a: { constructor: 1 } } },
    'trigger with a forbidden kwargs key',
    400,
    /constructor/,
  ),
  trigger(
    'name=static_task',
    { kwargs: { blob: 'x'.repeat(70 * 1024) } },
    'trigger with kwargs over 64 KiB',
    413,
    /limit is 65536 bytes/,
  ),
  trigger(
    'name=mail',
    { kwargs: { recipient: 'not-an-email' } },
    "trigger with kwargs the function's DTO refuses",
    400,
    /Invalid kwargs for task "mail" of group "Api": kwargs\.recipient/,
  ),
  trigger(
    'name=nope',
    { kwargs: { a: 1 } },
    'trigger with kwargs matching no task',
    404,
    /No task matches name="nope"/,
  ),
];

describe('management API: bad input', () => {
  let api: ApiApp;
  let redis: Redis;

  /** Every key of the deployment but the worker heartbeat ones, with its content. */
  async function snapshot(): Promise<string> {
    const keys = (await redis.keys(`{${api.prefix}}:*`))
      .filter((k) => !/:(workers|worker-info|leader|epoch)$/.test(k))
      .sort();
    const entries = await Promise.all(
      keys.map(async (key) => {
        const type = await redis.type(key);
        if (type === 'hash') return [key, await redis.hgetall(key)];
        if (type === 'zset') return [key, await redis.zrange(key, 0, -1, 'WITHSCORES')];
        if (type === 'string') return [key, await redis.get(key)];
        if (type === 'stream') return [key, await redis.xlen(key)];
        return [key, type];
      }),
    );
    return JSON.stringify(entries);
  }

  beforeAll(async () => {
    api = await startApiApp({ groups: [ApiTasks, OtherTasks], label: 'api-bad' });
    redis = new Redis(redisUrl());
    // Dynamic tasks the PATCH cases aim at.
    await api.service.createDynamicTask({
      groupName: 'Api',
      functionName: 'echo',
      cronExpression: NEVER,
      name: 'dyn',
      retryBackoff: 10,
    });
    await api.service.createDynamicTask({
      groupName: 'Api',
      functionName: 'send_email',
      cronExpression: NEVER,
      name: 'mail',
      kwargs: { recipient: 'ops@example.com' },
    });
  });
  afterAll(async () => {
    redis?.disconnect();
    await api?.dispose();
  });

  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES.map((c) => [c.name || `${c.method} ${c.path}`, c] as const))(
    '%s → 4xx with a detail, nothing changed',
    async (_name, c) => {
      const before = await snapshot();
      const url = `${BASE}${c.path ?? '/tasks'}${c.query ? `?${c.query}` : ''}`;
      let req = api.http[c.method ?? 'get'](url);
      if (c.raw !== undefined) req = req.set('Content-Type', c.contentType ?? 'application/json').send(c.raw);
      else if (c.body !== undefined) req = req.send(c.body as object);
      const res = await req;
      expect(res.status, JSON.stringify(res.body)).toBe(c.status);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(typeof res.body.detail).toBe('string');
      expect(res.body.detail).toMatch(c.detail);
      expect(Object.keys(res.body).every((k) => k === 'detail' || k === 'errors')).toBe(true);
      expect(await snapshot()).toBe(before);
    },
  );
});
