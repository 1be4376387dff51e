/**
 * Property-based fuzz of the management API (fast-check): thousands of generated requests against a real
 * HTTP application — malformed JSON, wrong types, huge strings, unicode (lone surrogates included), path
 * traversal in names, prototype-pollution payloads (`__proto__`, `constructor`, `prototype`) in kwargs and
 * anywhere in the body or the query, cron and time-zone edge cases, random query parameters on every endpoint,
 * wrong methods. Asserted for every request: no 5xx, a JSON `{detail}` error on 4xx, the deployment's Redis
 * keys and values unchanged by a rejected request, Object.prototype never polluted. At the end: the process
 * is up and serving, its memory grew little, and the engine starts and runs with whatever the fuzz created.
 *
 * The instance is API-only (`autoStart: false`, a documented deployment mode) while fuzzing, so that the only
 * writes to Redis are the requests' own and a rejected request can be checked against an exact snapshot.
 */
import { request as httpRequest, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { escapeRedisGlob, redisUrl, waitFor } from '../support/redis.js';
import { startApiApp, type ApiApp } from '../api/api-app.js';
import { ApiTasks, NEVER, ODD_GROUP, ODD_TASK, OddTasks, OtherTasks } from '../api/fixtures.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2200);
const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const BASE = '/task-manager';

interface FuzzRequest {
  method: string;
  path: string;
  query: string;
  body?: string;
  contentType?: string;
}

// ----- building blocks

const HOSTILE_NAMES = [
  '..',
  '.',
  '../../etc/passwd',
  '..%2F..%2Fetc',
  '/',
  '%',
  '%2e%2e',
  '{a}',
  '}{',
  '*',
  '?',
  '[a-z]',
  '\\',
  'a\nb',
  'a\r\nSet-Cookie: x=1',
  '\u0000',
  ' ',
  'x'.repeat(1024),
  'x'.repeat(1025),
  'é'.repeat(600),
  '😀'.repeat(300),
  '\ud800',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'Api',
  'Other',
  ODD_GROUP,
  ODD_TASK,
  'static_task',
  'with_kwargs',
  'echo',
  'send_email',
];

const CRONS = [
  '60 * * * *',
  '* * * * * * *',
  '',
  ' ',
  '* * *',
  '*/0 * * * *',
  '0 0 31 2 *',
  '0 0 30 2 *',
  '0 0 * * 8',
  '61 * * * * *',
  '@reboot',
  '@yearly',
  '@every 1s',
  '0 0 L * *',
  '0 0 ? * *',
  '0 0 1W * *',
  '١ * * * *',
  '*,'.repeat(500) + '*',
  '0-59/1 0-23 1-31 1-12 0-7',
  '5-1 * * * *',
  '* * * * MON-SUN',
  '* * * JAN-DEC *',
  '*\t*\t*\t*\t*',
  '* * * * *\n* * * * *',
  NEVER,
  '* * * * *',
  '*/5 * * * * *',
  '0 0 1 1 *',
];

const TIME_ZONES = ['UTC', 'Europe/Paris', 'Etc/GMT+14', 'Mars/Olympus_Mons', '../../etc/localtime', 'local', 'Z', ''];

/** A string from anywhere: names, crons, unicode (lone surrogates included), huge ones. */
const anyString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_NAMES) },
  { weight: 1, arbitrary: fc.constantFrom(...CRONS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 80_000 }).map((n) => 'A'.repeat(n)) },
);

/** Keys that must never reach a prototype chain. */
const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype'];

/** Any JSON value, sometimes with pollution keys nested inside (as raw JSON text: JSON.parse makes them own keys). */
const jsonText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: anyString.map((s) => JSON.stringify(s)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...POLLUTION_KEYS), fc.jsonValue({ maxDepth: 2 }), fc.integer({ min: 0, max: 3 }))
      .map(([key, value, depth]) => {
        let text = `{"${key}":${JSON.stringify(value ?? null)},"polluted":true}`;
        for (let i = 0; i < depth; i++) text = `{"a":${text}}`;
        return text;
      }),
  },
  { weight: 1, arbitrary: fc.constantFrom('1e400', '-0', '1e-400', '12345678901234567890123', 'NaN', 'Infinity') },
);

/** A CreateDynamicTaskRequest with some fields replaced, removed or added. */
const createBody = fc
  .record({
    task_group_name: fc.oneof(fc.constantFrom('"Api"', `"${ODD_GROUP}"`, '"Other"'), jsonText),
    function_name: fc.oneof(fc.constantFrom('"echo"', '"send_email"', '"noop"'), jsonText),
    cron_expression: fc.oneof(
      fc.constantFrom(...CRONS).map((c) => JSON.stringify(c)),
      jsonText,
    ),
    name: fc.option(
      fc.oneof(
        anyString.map((s) => JSON.stringify(s)),
        jsonText,
      ),
      { nil: undefined },
    ),
    kwargs: fc.option(jsonText, { nil: undefined }),
    time_zone: fc.option(
      fc.oneof(
        fc.constantFrom(...TIME_ZONES).map((z) => JSON.stringify(z)),
        jsonText,
      ),
      { nil: undefined },
    ),
    high_priority: fc.option(fc.oneof(fc.constantFrom('true', 'false', '"true"', '1'), jsonText), { nil: undefined }),
    tags: fc.option(jsonText, { nil: undefined }),
    description: fc.option(
      fc.oneof(
        anyString.map((s) => JSON.stringify(s)),
        jsonText,
      ),
      { nil: undefined },
    ),
    retry_backoff: fc.option(fc.oneof(fc.constantFrom('1', '0', '-1', '1e9', '"5"'), jsonText), { nil: undefined }),
    retry_backoff_max: fc.option(fc.oneof(fc.constantFrom('2', '0.5', '31536001'), jsonText), { nil: undefined }),
    extra: fc.option(fc.tuple(fc.oneof(fc.constantFrom(...POLLUTION_KEYS, 'timezone', 'foo'), fc.string()), jsonText), {
      nil: undefined,
    }),
  })
  .map((f) => {
    const parts = Object.entries(f)
      .filter(([k, v]) => k !== 'extra' && v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${v}`);
    if (f.extra) parts.push(`${JSON.stringify(f.extra[0])}:${f.extra[1]}`);
    return `{${parts.join(',')}}`;
  });

/** Keys that are fine in kwargs but name Object.prototype members: they must stay plain data. */
const PROTOTYPE_MEMBER_KEYS = ['toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf', 'then'];

/** A create request that should be accepted: hostile but valid names, odd kwargs, valid crons and zones. */
const acceptableCreate = fc
  .record({
    group: fc.constantFrom('Api', ODD_GROUP),
    name: fc.oneof(
      fc.constantFrom('{a}', '*', '?', '[x]', '%', '/', 'a:b', '..a', '😀', 'x'.repeat(1024), 'é'.repeat(1000)),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
    ),
    cron: fc.constantFrom('0 0 1 1 *', '* * * * *', '*/5 * * * * *', '0 0 29 2 *', '0-59/7 * * * *'),
    zone: fc.constantFrom('UTC', 'Europe/Paris', 'Etc/GMT+14', 'America/Argentina/ComodRivadavia'),
    kwargs: fc.dictionary(
      fc.oneof(fc.constantFrom(...PROTOTYPE_MEMBER_KEYS), fc.string({ maxLength: 8 })),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 4 },
    ),
  })
  .map(({ group, name, cron, zone, kwargs }) => {
    const fn = group === 'Api' ? 'echo' : 'noop';
    // oxlint-disable-next-line no-control-regex -- control characters are what is removed here
    const trimmed = name.replace(/[\u0000-\u001f\u007f]/g, '').trim() || 'n';
    return JSON.stringify({
      task_group_name: group,
      function_name: fn,
      cron_expression: cron,
      name: trimmed,
      kwargs,
      time_zone: zone,
    });
  });

/** A body: a create request, malformed JSON, or any JSON text. */
const body = fc.oneof(
  { weight: 3, arbitrary: acceptableCreate },
  { weight: 5, arbitrary: createBody },
  { weight: 2, arbitrary: createBody.chain((b) => fc.integer({ min: 0, max: b.length }).map((n) => b.slice(0, n))) },
  { weight: 1, arbitrary: jsonText },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '{"a":1,}', "{'a':1}", '[1,2]', 'null', 'true', '{"a":1}{"b":2}') },
);

const QUERY_KEYS = [
  'task_group_name',
  'name',
  'task_name',
  'tag',
  'limit',
  'offset',
  'group',
  '__proto__',
  '__proto__[polluted]',
  'constructor[prototype][polluted]',
  'constructor',
  'toString',
  'hasOwnProperty',
  'limit[]',
  'a[b][c]',
];

/** A query string of 0-4 parameters, values percent-encoded (or raw: bad percent-encoding on purpose). */
const query = fc
  .array(
    fc.tuple(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) },
        { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
      ),
      fc.oneof(
        { weight: 5, arbitrary: anyString.filter((s) => s.length < 5000) },
        { weight: 1, arbitrary: fc.constantFrom('-1', '0', '1', '1.5', '1e3', '9007199254740993', 'abc') },
      ),
      fc.boolean(),
    ),
    { maxLength: 4 },
  )
  .map((params) =>
    params
      .map(([k, v, raw]) => {
        const encode = (s: string) => {
          try {
            return encodeURIComponent(s);
          } catch {
            return '%ED%A0%80'; // a lone surrogate, UTF-8 encoded (invalid UTF-8)
          }
        };
        return `${encode(k)}=${raw ? v.replace(/[^\x21-\x7e]/g, '').replace(/[#&]/g, '') || '%zz' : encode(v)}`;
      })
      .join('&'),
  );

/** A path segment: an encoded name, or raw traversal and bad encodings. */
const segment = fc.oneof(
  {
    weight: 4,
    arbitrary: anyString
      .filter((s) => s.length < 3000)
      .map((s) => {
        try {
          return encodeURIComponent(s);
        } catch {
          return '%ED%A0%80';
        }
      }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('..', '.', '%2e%2e', '%2F', '..%2F..', '%00', '%E0%A4%A', '%', '%zz', '%C0%AE'),
  },
);

const PATHS = [
  '/health',
  '/config',
  '/task-groups',
  '/tasks',
  '/tasks/disable',
  '/tasks/enable',
  '/tasks/trigger',
  '/tasks/reset-retry',
  '/tasks/statistics',
  '/functions',
];

const request: fc.Arbitrary<FuzzRequest> = fc.oneof(
  // Any endpoint, any method, any query, sometimes a body.
  {
    weight: 6,
    arbitrary: fc.record({
      method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH'),
      path: fc.constantFrom(...PATHS),
      query,
      body: fc.option(body, { nil: undefined }),
      contentType: fc.constantFrom(
        'application/json',
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
      ),
    }),
  },
  // POST /tasks with a generated body.
  {
    weight: 6,
    arbitrary: fc.record({
      method: fc.constant('POST'),
      path: fc.constant('/tasks'),
      query: fc.oneof(fc.constant(''), query),
      body,
      contentType: fc.constant('application/json'),
    }),
  },
  // Statistics of generated (hostile) names, and unknown paths below the mount path.
  {
    weight: 3,
    arbitrary: fc.record({
      method: fc.constantFrom('GET', 'GET', 'POST', 'DELETE'),
      path: fc.oneof(
        fc.tuple(segment, segment).map(([g, t]) => `/tasks/${g}/${t}/statistics`),
        fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`),
      ),
      query,
    }),
  },
);

// ----- the harness

describe('management API fuzz (fast-check)', () => {
  let api: ApiApp;
  let redis: Redis;
  let base: { host: string; port: number };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const processProblems: string[] = [];
  const onUncaught = (error: Error) => processProblems.push(`uncaughtException: ${error.message}`);
  const onUnhandled = (reason: unknown) => processProblems.push(`unhandledRejection: ${String(reason)}`);
  const stats = { requests: 0, byStatus: new Map<number, number>(), rejectedChecked: 0, created: 0 };
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort().join(',');

  /**
   * SHA-1 of every key of the deployment with its content, in one round trip. Content, not DUMP: a read may
   * advance Redis's incremental rehashing of a large HASH, which reorders its DUMP without changing it.
   */
  const SNAPSHOT = `
    local keys = redis.call('KEYS', ARGV[1])
    table.sort(keys)
    local parts = {}
    local function sorted(list) table.sort(list) return table.concat(list, '\\1') end
    for _, key in ipairs(keys) do
      local kind = redis.call('TYPE', key).ok
      local content
      if kind == 'string' then content = redis.call('GET', key)
      elseif kind == 'hash' then
        local flat, pairs_ = redis.call('HGETALL', key), {}
        for i = 1, #flat, 2 do pairs_[#pairs_ + 1] = flat[i] .. '\\2' .. flat[i + 1] end
        content = sorted(pairs_)
      elseif kind == 'set' then content = sorted(redis.call('SMEMBERS', key))
      elseif kind == 'zset' then content = table.concat(redis.call('ZRANGE', key, 0, -1, 'WITHSCORES'), '\\1')
      elseif kind == 'list' then content = table.concat(redis.call('LRANGE', key, 0, -1), '\\1')
      else content = redis.call('DUMP', key) or '' end
      parts[#parts + 1] = key
      parts[#parts + 1] = kind .. ':' .. content
      parts[#parts + 1] = tostring(redis.call('PTTL', key) > 0)
    end
    return { #keys, redis.sha1hex(table.concat(parts, '\\0')) }`;
  const snapshot = async (): Promise<string> => {
    const [count, digest] = (await redis.eval(SNAPSHOT, 0, `${escapeRedisGlob(`{${api.prefix}}`)}:*`)) as [
      number,
      string,
    ];
    return `${count}:${digest}`;
  };

  const send = (req: FuzzRequest) =>
    new Promise<{ status: number; contentType: string; text: string }>((resolve, reject) => {
      const payload = req.body === undefined ? undefined : Buffer.from(req.body);
      const r = httpRequest(
        {
          ...base,
          agent,
          method: req.method,
          path: `${BASE}${req.path}${req.query ? `?${req.query}` : ''}`,
          headers: payload
            ? { 'content-type': req.contentType ?? 'application/json', 'content-length': payload.length }
            : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              contentType: String(res.headers['content-type'] ?? ''),
              text: Buffer.concat(chunks).toString(),
            }),
          );
          res.on('error', reject);
        },
      );
      r.on('error', reject);
      r.end(payload);
    });

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandled);
    api = await startApiApp({
      groups: [ApiTasks, OtherTasks, OddTasks],
      label: 'rel-fuzz',
      options: { autoStart: false, maxKwargsBytes: 65536 },
      configure: (app) => app.getHttpServer().listen(0, '127.0.0.1'),
    });
    const address = api.app.getHttpServer().address() as AddressInfo;
    base = { host: '127.0.0.1', port: address.port };
    redis = new Redis(redisUrl());
  });

  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
    agent.destroy();
    redis?.disconnect();
    await api?.dispose();
  });

  it(`answers ${RUNS} generated requests without a 5xx, changing nothing when it rejects one`, async () => {
    const rssBefore = process.memoryUsage().rss;
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const before = await snapshot();
        const res = await send(req);
        stats.requests++;
        if (req.method === 'POST' && req.path === '/tasks' && res.status === 200) stats.created++;
        stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
        const label = `${req.method} ${req.path}?${req.query.slice(0, 200)} ${req.body?.slice(0, 300) ?? ''}`;
        expect(res.status, `${label}\n→ ${res.text.slice(0, 500)}`).toBeLessThan(500);
        expect(res.status).toBeGreaterThanOrEqual(200);
        if (res.status >= 400) {
          // The API's error shape: JSON with a string `detail`.
          expect(res.contentType, label).toMatch(/application\/json/);
          const error = JSON.parse(res.text) as { detail?: unknown; message?: unknown };
          expect(typeof error.detail, `${label} → ${res.status} ${res.text.slice(0, 300)}`).toBe('string');
          expect(
            await snapshot(),
            `state changed by a rejected request: ${res.status} ${res.text.slice(0, 200)} ${label}`,
          ).toBe(before);
          stats.rejectedChecked++;
        }
        // Nothing reached Object.prototype.
        expect(({} as Record<string, unknown>).polluted, label).toBeUndefined();
        expect(Object.getOwnPropertyNames(Object.prototype).sort().join(','), label).toBe(prototypeKeys);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 1048576;
    expect(stats.requests).toBeGreaterThanOrEqual(2000);
    // Every class of answer was exercised (2xx accepted, 4xx rejected, including 405 / 413).
    expect([...stats.byStatus.keys()].filter((s) => s >= 400).length).toBeGreaterThanOrEqual(4);
    expect(stats.byStatus.get(200) ?? 0).toBeGreaterThan(50);
    expect(stats.created).toBeGreaterThan(50);
    expect(processProblems).toEqual([]);
    expect(rssGrowthMb).toBeLessThan(150);
  }, 90_000);

  // Finding #2: a malformed percent-encoding in a path that only the catch-all route matches used to answer
  // Nest's `{message, error, statusCode}` instead of the API's `{detail}`.
  it('answers bad percent-encoding anywhere under the mount path with {detail}', async () => {
    for (const path of ['/%zz', '/x/%E0%A4%A', '/tasks/%zz']) {
      const res = await send({ method: 'GET', path, query: '' });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toEqual({ detail: expect.stringMatching(/percent-encoding/) });
    }
  });

  it('is still up, and the engine starts and runs with whatever the fuzz created', async () => {
    const health = await send({ method: 'GET', path: '/health', query: '' });
    expect(health.status).toBe(200);
    await api.service.start();
    await waitFor(() => api.service.health().status === 'healthy', { timeoutMs: 10_000 });
    const listed = await send({ method: 'GET', path: '/tasks', query: '' });
    expect(listed.status).toBe(200);
    const tasks = JSON.parse(listed.text) as Array<{ dynamic: boolean }>;
    expect(tasks.length).toBeGreaterThanOrEqual(4);
    // Run every task once (the static ones and every dynamic task the fuzz managed to create).
    const trigger = await send({ method: 'POST', path: '/tasks/enable', query: '' });
    expect(trigger.status).toBe(200);
    const triggered = await send({ method: 'POST', path: '/tasks/trigger', query: '' });
    expect(triggered.status).toBe(200);
    await waitFor(() => api.log.entries.length >= 3, { timeoutMs: 10_000 });
    expect(api.service.health().status).toBe('healthy');
    expect(processProblems).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    console.info(
      `api fuzz: ${stats.requests} requests (${[...stats.byStatus].map(([s, n]) => `${n}× ${s}`).join(', ')}), ` +
        `${stats.rejectedChecked} rejected ones checked against a Redis snapshot, ` +
        `${tasks.filter((t) => t.dynamic).length} dynamic tasks created`,
    );
  }, 30_000);
});
