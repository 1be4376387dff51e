import { BadRequestException, ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { toApiError } from '../src/api/error-response.js';
import { findForbiddenKey } from '../src/task-spec/kwargs.js';
import { summarize, percentile } from '../src/api/mappers/statistics.mapper.js';
import { toConfig } from '../src/api/mappers/system.mapper.js';
import { isoTime, isoTimeOrNull } from '../src/api/mappers/time.js';
import { apiPathLocator } from '../src/api/platform-errors.binder.js';
import { resolveApiOptions } from '../src/api/task-manager-api.options.js';
import type { RunRecord } from '../src/engine/coordination.port.js';
import { InvalidTaskDefinitionError } from '../src/errors/invalid-task-definition.error.js';
import { KwargsTooLargeError } from '../src/errors/kwargs-too-large.error.js';
import { StaticTaskError } from '../src/errors/static-task.error.js';
import { TaskConflictError } from '../src/errors/task-conflict.error.js';
import { TaskManagerConfigurationError } from '../src/errors/task-manager-configuration.error.js';
import { TaskNotFoundError } from '../src/errors/task-not-found.error.js';
import { resolveOptions } from '../src/options/resolve-options.js';
import { REDACTED, redactedConfig, redactUrl } from '../src/options/task-manager-config.js';

const run = (startedAt: number, durationSeconds: number, status = 'success'): RunRecord => ({
  id: `${startedAt}-0`,
  startedAt,
  durationSeconds,
  status,
  error: status === 'success' ? null : 'boom',
  workerId: 'w',
  scheduledAt: startedAt,
  attempt: 1,
  kind: 'scheduled',
  kwargs: null,
  errorStack: null,
});

describe('API mappers', () => {
  it('writes instants as ISO-8601 UTC with Z, without a fraction on whole seconds', () => {
    expect(isoTime(Date.UTC(2026, 2, 8, 10, 5))).toBe('2026-03-08T10:05:00Z');
    expect(isoTime(Date.UTC(2026, 2, 8, 10, 5, 0, 12))).toBe('2026-03-08T10:05:00.012Z');
    expect(isoTimeOrNull(null)).toBeNull();
    expect(isoTimeOrNull(Number.NaN)).toBeNull();
  });

  it('writes every instant exactly as Date#toISOString does (without .000)', () => {
    const reference = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
    const day = 86_400_000;
    const year10000 = Date.UTC(10000, 0, 1);
    const instants = [0, -0, 0.4, 1, 999, 1000, 59_999, 60_000, day - 1, day, day + 0.999, Date.UTC(2026, 2, 8, 10, 5)];
    instants.push(Date.UTC(2028, 1, 29, 23, 59, 59, 999), Date.UTC(2100, 2, 1), year10000 - 1, year10000 - 0.5);
    instants.push(year10000, -1, -day, -1.5, Date.UTC(-1, 0, 1), 8.64e15, -8.64e15);
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 2000; i++)
      instants.push(Math.floor(random() * year10000), random() * 4e12, Date.UTC(2027, 0, 1) + i * 7919);
    for (const ms of instants) expect(isoTime(ms), String(ms)).toBe(reference(ms));
    // The same day again, after other days: the cached day is the one asked for.
    expect(isoTime(Date.UTC(2026, 2, 8, 10, 5, 1))).toBe('2026-03-08T10:05:01Z');
    expect(isoTime(Date.UTC(2026, 2, 9))).toBe('2026-03-09T00:00:00Z');
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });

  it('computes nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([3], 95)).toBe(3);
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
  });

  it('summarizes a history', () => {
    expect(summarize([run(1000, 0.5), run(2000, 1.5, 'failed'), run(3000, 0.25)])).toEqual({
      count: 3,
      failures: 1,
      last_success: '1970-01-01T00:00:03Z',
      last_failure: '1970-01-01T00:00:02Z',
      p50_duration_second: 0.5,
      p95_duration_second: 1.5,
    });
  });

  it('reports the configuration without any secret', () => {
    const options = resolveOptions({
      keyPrefix: 'p',
      redis: {
        url: 'rediss://user:pw-secret@h.example:6390/3',
        tls: { ca: 'CA-MATERIAL' },
        sentinelPassword: 'sentinel-secret',
      },
    });
    const config = toConfig(redactedConfig(options));
    expect(config).toMatchObject({ redis_host: 'h.example', redis_port: 6390, redis_db: 3, redis_key_prefix: 'p' });
    const text = JSON.stringify(config);
    for (const leak of ['pw-secret', 'user', 'CA-MATERIAL', 'sentinel-secret', 'rediss'])
      expect(text).not.toContain(leak);
    const sentinel = toConfig(
      redactedConfig(resolveOptions({ keyPrefix: 'p', redis: { sentinels: [{ host: 's', port: 1 }], name: 'm' } })),
    );
    expect(sentinel).toMatchObject({ redis_host: null, redis_port: null });
  });
});

describe('TaskManagerService.config(): the redacted view of the options', () => {
  it('redacts passwords, TLS material and URL credentials, keeps the rest', () => {
    const options = resolveOptions({
      keyPrefix: 'p',
      redis: {
        url: 'rediss://user:pw-secret@h.example:6390/3',
        tls: { ca: 'CA-MATERIAL' },
        sentinelPassword: 'sentinel-secret',
      },
      logger: console,
    });
    const config = redactedConfig(options);
    const text = JSON.stringify(config);
    for (const leak of ['pw-secret', 'CA-MATERIAL', 'sentinel-secret']) expect(text).not.toContain(leak);
    expect(config).toMatchObject({
      keyPrefix: 'p',
      redisUrl: 'rediss://[redacted]@h.example:6390/3',
      redis: { host: 'h.example', port: 6390, db: 3, password: REDACTED, tls: REDACTED, sentinelPassword: REDACTED },
    });
    expect(config).not.toHaveProperty('logger');
    expect(redactUrl('redis://h:1/0')).toBe('redis://h:1/0');
  });

  it('redacts the per-node options of a Redis Cluster', () => {
    const options = resolveOptions({
      keyPrefix: 'p',
      redis: { cluster: { nodes: [{ host: 'n', port: 1 }], options: { redisOptions: { password: 'node-secret' } } } },
    });
    const config = redactedConfig(options);
    expect(JSON.stringify(config)).not.toContain('node-secret');
    expect(config.redisCluster?.options).toMatchObject({ redisOptions: { password: REDACTED } });
  });
});

describe('API error mapping', () => {
  it.each([
    [new TaskNotFoundError('none'), 404, { detail: 'none' }],
    [new TaskConflictError('taken'), 409, { detail: 'taken' }],
    [new KwargsTooLargeError(70_000, 65_536), 413, { detail: expect.stringContaining('65536') }],
    [new StaticTaskError('static'), 400, { detail: 'static' }],
    [new InvalidTaskDefinitionError('bad cron'), 400, { detail: 'bad cron' }],
    [new InvalidTaskDefinitionError('bad kwargs', ['a', 'b']), 400, { detail: 'bad kwargs', errors: ['a', 'b'] }],
    [new BadRequestException({ detail: 'x; y', errors: ['x', 'y'] }), 400, { detail: 'x; y', errors: ['x', 'y'] }],
    [new BadRequestException(['m1', 'm2']), 400, { detail: 'm1; m2', errors: ['m1', 'm2'] }],
    [new UnauthorizedException(), 401, { detail: 'Unauthorized' }],
    [new ForbiddenException('Forbidden resource'), 403, { detail: 'Forbidden resource' }],
    [
      Object.assign(new Error('too big'), { status: 413, expose: true, type: 'entity.too.large' }),
      413,
      { detail: 'Request body is too large: too big' },
    ],
    [
      Object.assign(new URIError('Failed to decode param'), { status: 400 }),
      400,
      { detail: 'Malformed percent-encoding in the URL' },
    ],
    [Object.assign(new Error('Connection is closed.'), {}), 503, { detail: 'Redis is unavailable; retry later' }],
    // A hung link (no reply, no error: soak fault freeze-then-wipe) ends in ioredis' command timeout.
    [new Error('Command timed out'), 503, { detail: 'Redis is unavailable; retry later' }],
    // Redis Cluster with a master down (chaos soak, topology cluster: one master restarted).
    [
      new Error('Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN The cluster is down'),
      503,
      { detail: 'Redis is unavailable; retry later' },
    ],
    [new Error('CLUSTERDOWN The cluster is down'), 503, { detail: 'Redis is unavailable; retry later' }],
    [new Error('Failed to refresh slots cache.'), 503, { detail: 'Redis is unavailable; retry later' }],
    [new Error('secret internals at /srv/app.js:12'), 500, { detail: 'Internal server error' }],
    ['a string', 500, { detail: 'Internal server error' }],
  ])('%s → %i', (exception, status, body) => {
    expect(toApiError(exception)).toEqual({ status, body });
  });
});

describe('API options', () => {
  it('is opt-in: no api, or enabled false, mounts nothing', () => {
    expect(resolveApiOptions(undefined)).toBeUndefined();
    expect(resolveApiOptions({ enabled: false })).toBeUndefined();
  });

  it('applies defaults and normalizes the path', () => {
    expect(resolveApiOptions({})).toEqual({
      path: 'task-manager',
      guards: [],
      adminGuards: [],
      swagger: true,
      dynamicTasks: true,
      imports: [],
      dashboard: null,
    });
    expect(resolveApiOptions({ path: '//ops/tm/' })?.path).toBe('ops/tm');
    expect(resolveApiOptions({ path: '' })?.path).toBe('');
  });

  it('serves the dashboard only when asked, at dashboard/ by default', () => {
    expect(resolveApiOptions({ dashboard: false })?.dashboard).toBeNull();
    expect(resolveApiOptions({ dashboard: { enabled: false } })?.dashboard).toBeNull();
    expect(resolveApiOptions({ dashboard: true })?.dashboard).toEqual({ path: 'dashboard' });
    expect(resolveApiOptions({ dashboard: {} })?.dashboard).toEqual({ path: 'dashboard' });
    expect(resolveApiOptions({ dashboard: { path: '/ui/board/' } })?.dashboard).toEqual({ path: 'ui/board' });
    expect(() => resolveApiOptions({ dashboard: { path: 'tasks' } })).toThrow(/api\.dashboard\.path/);
  });

  it('rejects invalid values, listing every problem', () => {
    expect(() => resolveApiOptions({ path: 'a/:b' })).toThrow(TaskManagerConfigurationError);
    expect(() => resolveApiOptions({ path: 'x', guards: [42 as never], dynamicTasks: 'no' as never })).toThrow(
      /api\.guards\[0\][\s\S]*api\.dynamicTasks/,
    );
  });

  it('locates API paths under any global prefix', () => {
    const locate = apiPathLocator('task-manager');
    expect(locate({ originalUrl: '/task-manager/tasks?x=1' })).toBe('/tasks');
    expect(locate({ originalUrl: '/api/v1/task-manager/tasks/a/b/statistics' })).toBe('/tasks/a/b/statistics');
    expect(locate({ originalUrl: '/task-manager' })).toBe('/');
    expect(locate({ originalUrl: '/task-managerx/tasks' })).toBeUndefined();
    expect(locate({ originalUrl: '/other' })).toBeUndefined();
  });

  it('finds prototype-polluting keys anywhere in a body', () => {
    expect(findForbiddenKey(JSON.parse('{"a":{"__proto__":{}}}'))).toBe('body.a.__proto__');
    expect(findForbiddenKey({ a: [{ b: { constructor: 1 } }] })).toBe('body.a[0].b.constructor');
    expect(findForbiddenKey({ a: { prototypes: 1 } })).toBeUndefined();
  });
});
