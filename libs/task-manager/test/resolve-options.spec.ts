import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TaskManagerConfigurationError } from '../src/errors/task-manager-configuration.error.js';
import { resolveOptions } from '../src/options/resolve-options.js';
import type { TaskManagerModuleOptions } from '../src/options/task-manager-options.interface.js';

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory, optionally holding a package.json with `content`. */
function tempCwd(packageJson?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'task-manager-options-'));
  tempDirs.push(dir);
  if (packageJson !== undefined)
    writeFileSync(
      join(dir, 'package.json'),
      typeof packageJson === 'string' ? packageJson : JSON.stringify(packageJson),
    );
  return dir;
}

/** The configuration error message `resolveOptions(options)` throws (fails the test when it does not throw). */
function problemOf(options: Record<string, unknown>, cwd = tempCwd()): string {
  try {
    resolveOptions(options as TaskManagerModuleOptions, cwd);
  } catch (error) {
    expect(error).toBeInstanceOf(TaskManagerConfigurationError);
    return (error as Error).message;
  }
  return expect.fail(`resolveOptions(${JSON.stringify(options)}) did not throw`);
}

describe('resolveOptions: defaults', () => {
  it('applies the documented defaults', () => {
    const options = resolveOptions({ keyPrefix: 'app' }, tempCwd());
    expect(options).toMatchObject({
      keyPrefix: 'app',
      concurrentTasks: 2,
      statisticsRedisExpiration: 432_000,
      statisticsHistoryRuns: 500,
      allowParallel: true,
      pollInterval: 0.1,
      workerServiceName: 'nest-task-manager',
      streamBlockMs: 5000,
      leaderHeartbeatInterval: 3,
      leaderRetryInterval: 5,
      reconciliationInterval: 30,
      retryBackoff: 1,
      retryBackoffMax: 60,
      retryBackoffMultiplier: 2,
      runningHeartbeatInterval: 3,
      timeZone: 'UTC',
      misfirePolicy: 'runOnce',
      misfireToleranceMs: 5000,
      misfireMaxRuns: 10,
      shutdownTimeoutMs: 10_000,
      maxDeliveries: 3,
      waitForReplicas: 0,
      waitForReplicasTimeoutMs: 500,
      autoStart: true,
      partitions: 1,
    });
    expect(options.redis).toEqual({ host: '127.0.0.1', port: 6379 });
    expect(options.redisUrl).toBeUndefined();
    expect(options.logger).toBeUndefined();
  });

  it('keeps given values over defaults', () => {
    const options = resolveOptions(
      {
        keyPrefix: 'app',
        concurrentTasks: 8,
        allowParallel: false,
        timeZone: 'Europe/Paris',
        misfirePolicy: 'runAll',
        autoStart: false,
        shutdownTimeoutMs: 0,
      },
      tempCwd(),
    );
    expect(options).toMatchObject({
      concurrentTasks: 8,
      allowParallel: false,
      timeZone: 'Europe/Paris',
      misfirePolicy: 'runAll',
      autoStart: false,
      shutdownTimeoutMs: 0,
    });
  });
});

describe('resolveOptions: partitions', () => {
  it.each([1, 6, 256])('accepts %s', (partitions) => {
    expect(resolveOptions({ keyPrefix: 'app', partitions }, tempCwd()).partitions).toBe(partitions);
  });

  it.each([
    [0, '0'],
    [257, '257'],
    [1.5, '1.5'],
    ['x', '"x"'],
    [-1, '-1'],
    [Number.NaN, 'null'],
  ])('refuses %s, naming the option and its range', (partitions, shown) => {
    const message = problemOf({ keyPrefix: 'app', partitions });
    expect(message).toMatch(/^Invalid TaskManagerModule options:\n {2}- /);
    expect(message).toContain(`partitions must be an integer from 1 to 256 (got ${shown})`);
  });
});

describe('resolveOptions: keyPrefix', () => {
  const withPackage = () => tempCwd({ name: 'from-package' });

  it('uses keyPrefix first', () => {
    expect(resolveOptions({ keyPrefix: 'explicit', appName: 'app-name' }, withPackage()).keyPrefix).toBe('explicit');
  });

  it('falls back to appName', () => {
    expect(resolveOptions({ appName: 'app-name' }, withPackage()).keyPrefix).toBe('app-name');
  });

  it('falls back to the name in package.json of the given cwd', () => {
    expect(resolveOptions({}, withPackage()).keyPrefix).toBe('from-package');
    expect(resolveOptions({}, tempCwd({ name: '@scope/pkg' })).keyPrefix).toBe('@scope/pkg');
  });

  it.each([
    ['no package.json', undefined],
    ['a package.json without name', { version: '1.0.0' }],
    ['a package.json with an empty name', { name: '' }],
    ['an unparsable package.json', '{ not json'],
  ])('fails with %s, mentioning keyPrefix', (_label, packageJson) => {
    const message = problemOf({}, tempCwd(packageJson));
    expect(message).toMatch(/needs a `keyPrefix`/);
    expect(message).toMatch(/appName/);
  });

  it('rejects an empty keyPrefix rather than deriving one', () => {
    expect(problemOf({ keyPrefix: '' }, withPackage())).toMatch(/keyPrefix/);
  });

  it.each(['a{b', 'a}b', 'a b', 'x'.repeat(201)])('rejects keyPrefix %j', (keyPrefix) => {
    expect(problemOf({ keyPrefix })).toMatch(
      /keyPrefix must be a string of at most 200 characters without "\{", "\}" or whitespace/,
    );
  });

  it('rejects an appName that makes an invalid prefix', () => {
    expect(problemOf({ appName: 'my {app}' })).toMatch(/keyPrefix must be/);
  });
});

describe('resolveOptions: invalid values name the option', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['negative concurrentTasks', { concurrentTasks: -1 }, /concurrentTasks must be a positive integer \(got -1\)/],
    ['fractional concurrentTasks', { concurrentTasks: 1.5 }, /concurrentTasks must be a positive integer \(got 1\.5\)/],
    [
      'fractional reconciliationInterval (an integer, as in FastAPI Task Manager)',
      { reconciliationInterval: 0.5 },
      /reconciliationInterval must be a positive integer \(got 0\.5\)/,
    ],
    [
      'fractional statisticsRedisExpiration (an integer, as in FastAPI Task Manager)',
      { statisticsRedisExpiration: 86_400.5 },
      /statisticsRedisExpiration must be a positive integer \(got 86400\.5\)/,
    ],
    ['zero concurrentTasks', { concurrentTasks: 0 }, /concurrentTasks must be a positive integer \(got 0\)/],
    ['NaN pollInterval', { pollInterval: Number.NaN }, /pollInterval must be a positive number/],
    ['string retryBackoff', { retryBackoff: '1' }, /retryBackoff must be a positive number \(got "1"\)/],
    ['negative shutdownTimeoutMs', { shutdownTimeoutMs: -1 }, /shutdownTimeoutMs must be a number >= 0 \(got -1\)/],
    [
      'retryBackoffMax < retryBackoff',
      { retryBackoff: 10, retryBackoffMax: 5 },
      /retryBackoffMax \(5\) must be >= retryBackoff \(10\)/,
    ],
    ['retryBackoffMultiplier < 1', { retryBackoffMultiplier: 0.5 }, /retryBackoffMultiplier must be >= 1 \(got 0\.5\)/],
    [
      'unknown misfirePolicy',
      { misfirePolicy: 'sometimes' },
      /misfirePolicy must be one of runOnce, skip, runAll \(got "sometimes"\)/,
    ],
    ['bad time zone', { timeZone: 'Mars/Olympus' }, /timeZone "Mars\/Olympus" is not an IANA time zone/],
    ['non-boolean autoStart', { autoStart: 'yes' }, /autoStart must be true or false \(got "yes"\)/],
    ['zero maxDeliveries', { maxDeliveries: 0 }, /maxDeliveries must be a positive integer \(got 0\)/],
    ['fractional waitForReplicas', { waitForReplicas: 1.5 }, /waitForReplicas must be a whole number of replicas/],
    [
      'waitForReplicasTimeoutMs not under the leader heartbeat',
      { waitForReplicas: 1, waitForReplicasTimeoutMs: 3000 },
      /waitForReplicasTimeoutMs \(3000\) must be shorter than leaderHeartbeatInterval \(3000 ms\)/,
    ],
    ['bad workerServiceName', { workerServiceName: 'has space' }, /workerServiceName must be 1-100 letters/],
    ['bad URL', { redis: 'not a url' }, /redis URL is not a valid URL \(expected redis:\/\//],
    ['ftp:// URL', { redis: 'ftp://host:21' }, /redis URL must start with redis:\/\/ or rediss:\/\/ \(got ftp:\/\/\)/],
    ['bad URL in an options object', { redis: { url: 'http://host' } }, /redis URL must start with redis:\/\//],
    ['non-integer database', { redis: 'redis://host:6379/abc' }, /redis URL database \(the path\) must be an integer/],
    ['non-object redis', { redis: 42 }, /redis must be a URL string or an ioredis options object/],
  ])('%s', (_label, options, expected) => {
    const message = problemOf({ keyPrefix: 'app', ...options });
    expect(message).toMatch(/^Invalid TaskManagerModule options:\n {2}- /);
    expect(message).toMatch(expected);
  });

  it('lists several problems together, one per line', () => {
    const message = problemOf({
      concurrentTasks: -1,
      misfirePolicy: 'x',
      timeZone: 'Nowhere',
      keyPrefix: 'a{b',
      redis: 'ftp://h',
    });
    const lines = message.split('\n').slice(1);
    expect(lines).toHaveLength(5);
    expect(lines.every((line) => line.startsWith('  - '))).toBe(true);
    for (const option of ['concurrentTasks', 'misfirePolicy', 'timeZone', 'keyPrefix', 'redis URL']) {
      expect(
        lines.filter((line) => line.includes(option)),
        option,
      ).toHaveLength(1);
    }
  });

  it('never echoes the Redis URL (it may carry a password)', () => {
    expect(problemOf({ keyPrefix: 'app', redis: 'ftp://user:secret@host' })).not.toMatch(/secret/);
    expect(problemOf({ keyPrefix: 'app', redis: 'redis://user:secret@host:6379/x' })).not.toMatch(/secret/);
  });
});

describe('resolveOptions: redis', () => {
  it('parses user, percent-encoded password, host, port and database from a URL', () => {
    const url = 'redis://user:p%40ss@host:6380/2';
    const options = resolveOptions({ keyPrefix: 'app', redis: url }, tempCwd());
    expect(options.redis).toEqual({
      host: 'host',
      port: 6380,
      username: 'user',
      password: 'p@ss',
      db: 2,
    });
    expect(options.redisUrl).toBe(url);
  });

  it('defaults the port and leaves out absent parts', () => {
    expect(resolveOptions({ keyPrefix: 'app', redis: 'redis://cache' }, tempCwd()).redis).toEqual({
      host: 'cache',
      port: 6379,
    });
    expect(resolveOptions({ keyPrefix: 'app', redis: 'redis://:only-pass@cache/' }, tempCwd()).redis).toEqual({
      host: 'cache',
      port: 6379,
      password: 'only-pass',
    });
  });

  it('unwraps an IPv6 host', () => {
    expect(resolveOptions({ keyPrefix: 'app', redis: 'redis://[::1]:7000' }, tempCwd()).redis).toMatchObject({
      host: '::1',
      port: 7000,
    });
  });

  it('rediss:// turns TLS on', () => {
    const options = resolveOptions({ keyPrefix: 'app', redis: 'rediss://secure.example.com:6390' }, tempCwd());
    expect(options.redis).toEqual({
      host: 'secure.example.com',
      port: 6390,
      tls: {},
    });
    expect(resolveOptions({ keyPrefix: 'app', redis: 'redis://plain' }, tempCwd()).redis.tls).toBeUndefined();
  });

  it('merges a url with extra ioredis options (explicit options win)', () => {
    const options = resolveOptions(
      {
        keyPrefix: 'app',
        redis: {
          url: 'redis://user:pw@host:6380/3',
          connectTimeout: 1234,
          password: 'override',
          enableAutoPipelining: true,
        },
      },
      tempCwd(),
    );
    expect(options.redis).toEqual({
      host: 'host',
      port: 6380,
      username: 'user',
      password: 'override',
      db: 3,
      connectTimeout: 1234,
      enableAutoPipelining: true,
    });
    expect(options.redis).not.toHaveProperty('url');
    expect(options.redisUrl).toBe('redis://user:pw@host:6380/3');
  });

  it('passes an options object without url through as is', () => {
    const options = resolveOptions({ keyPrefix: 'app', redis: { host: 'h', port: 7001, db: 4 } }, tempCwd());
    expect(options.redis).toEqual({ host: 'h', port: 7001, db: 4 });
    expect(options.redisUrl).toBeUndefined();
  });
});

describe('resolveOptions: Redis Cluster', () => {
  it('resolves redis.cluster to startup nodes and ClusterOptions; the per-node options become redis', () => {
    const options = resolveOptions(
      {
        keyPrefix: 'app',
        redis: {
          cluster: {
            nodes: [{ host: 'a', port: 7000 }, 'b:7001', 7002, { host: 'c', port: '7003' } as never],
            options: { slotsRefreshTimeout: 2000, redisOptions: { username: 'u', password: 'pw', tls: {} } },
          },
        },
      },
      tempCwd(),
    );
    expect(options.redisCluster).toEqual({
      nodes: [{ host: 'a', port: 7000 }, 'b:7001', 7002, { host: 'c', port: '7003' }],
      options: { slotsRefreshTimeout: 2000, redisOptions: { username: 'u', password: 'pw', tls: {} } },
    });
    expect(options.redis).toEqual({ username: 'u', password: 'pw', tls: {} });
    expect(options.redisUrl).toBeUndefined();
  });

  it('needs no ClusterOptions', () => {
    const options = resolveOptions({ keyPrefix: 'app', redis: { cluster: { nodes: [7000] } } }, tempCwd());
    expect(options.redisCluster).toEqual({ nodes: [7000], options: {} });
    expect(options.redis).toEqual({});
  });

  it('leaves redisCluster out for a single server or Sentinel', () => {
    expect(resolveOptions({ keyPrefix: 'app' }, tempCwd())).not.toHaveProperty('redisCluster');
    expect(resolveOptions({ keyPrefix: 'app', redis: 'redis://h:1' }, tempCwd())).not.toHaveProperty('redisCluster');
    expect(resolveOptions({ keyPrefix: 'app', redis: { cluster: undefined, host: 'h' } }, tempCwd()).redis).toEqual({
      host: 'h',
    });
  });

  it.each<[string, unknown, RegExp]>([
    [
      'cluster with a url',
      { cluster: { nodes: [7000] }, url: 'redis://h:1' },
      /redis\.cluster cannot be combined with redis\.url: per-node options \(username, password, tls, \.\.\.\) go in redis\.cluster\.options\.redisOptions/,
    ],
    [
      'cluster with host and password',
      { cluster: { nodes: [7000] }, host: 'h', password: 'secret' },
      /redis\.cluster cannot be combined with redis\.host, redis\.password/,
    ],
    [
      'a non-object cluster',
      { cluster: 'h:7000' },
      /redis\.cluster must be \{ nodes: \[\{ host, port \}, \.\.\.\], options\?: ClusterOptions \} \(got string\)/,
    ],
    [
      'no nodes',
      { cluster: {} },
      /redis\.cluster\.nodes must be a non-empty array of startup nodes: \{ host, port \}, "host:port" or a port \(got undefined\)/,
    ],
    [
      'empty nodes',
      { cluster: { nodes: [] } },
      /redis\.cluster\.nodes must be a non-empty array .* \(got an empty array\)/,
    ],
    [
      'a port out of range',
      { cluster: { nodes: [70000] } },
      /redis\.cluster\.nodes\[0\] must be \{ host, port \}, "host:port" or a port number \(got port 70000\)/,
    ],
    ['a boolean node', { cluster: { nodes: [7000, true] } }, /redis\.cluster\.nodes\[1\] must be .* \(got boolean\)/],
    [
      'an empty node string',
      { cluster: { nodes: [' '] } },
      /redis\.cluster\.nodes\[0\] must be .* \(got a malformed string\)/,
    ],
    [
      'a node with a bad port',
      { cluster: { nodes: [{ host: 'h', port: 'x' }] } },
      /redis\.cluster\.nodes\[0\]\.port must be an integer from 1 to 65535 \(got "x"\)/,
    ],
    [
      'a node with an empty host',
      { cluster: { nodes: [{ host: '', port: 7000 }] } },
      /redis\.cluster\.nodes\[0\]\.host must be a non-empty string \(got string\)/,
    ],
    [
      'ClusterOptions given next to nodes',
      { cluster: { nodes: [7000], redisOptions: {} } },
      /redis\.cluster accepts only nodes and options \(got redisOptions\): ioredis Cluster options go in redis\.cluster\.options/,
    ],
    [
      'non-object options',
      { cluster: { nodes: [7000], options: 5 } },
      /redis\.cluster\.options must be an ioredis ClusterOptions object \(got number\)/,
    ],
    [
      'non-object redisOptions',
      { cluster: { nodes: [7000], options: { redisOptions: [] } } },
      /redis\.cluster\.options\.redisOptions must be an ioredis options object \(got an empty array\)/,
    ],
    [
      'a database other than 0',
      { cluster: { nodes: [7000], options: { redisOptions: { db: 2 } } } },
      /redis\.cluster\.options\.redisOptions\.db must be 0: Redis Cluster has only database 0 \(got 2\)/,
    ],
    [
      'an ioredis keyPrefix in ClusterOptions',
      { cluster: { nodes: [7000], options: { keyPrefix: 'x:' } } },
      /redis\.cluster\.options\.keyPrefix is not supported \(ioredis would not apply it to the keys the Lua scripts build\): use the module's keyPrefix option/,
    ],
    [
      'an ioredis keyPrefix in the per-node options',
      { cluster: { nodes: [7000], options: { redisOptions: { keyPrefix: 'x:' } } } },
      /redis\.cluster\.options\.redisOptions\.keyPrefix is not supported/,
    ],
  ])('rejects %s', (_label, redis, expected) => {
    expect(problemOf({ keyPrefix: 'app', redis })).toMatch(expected);
  });

  it('never echoes node strings or passwords (they may carry credentials)', () => {
    const message = problemOf({
      keyPrefix: 'app',
      redis: { cluster: { nodes: ['redis://:secret@ h:7000'] }, password: 'secret' },
    });
    expect(message).toMatch(/nodes\[0\]/);
    expect(message).not.toMatch(/secret/);
  });
});

describe('resolveOptions: Redis Sentinel', () => {
  const sentinels = [
    { host: 's1', port: 26379 },
    { host: 's2', port: 26380 },
  ];

  it('passes Sentinel options through to ioredis as they are', () => {
    const redis = {
      sentinels,
      name: 'mymaster',
      sentinelPassword: 'sp',
      sentinelUsername: 'su',
      password: 'p',
      role: 'master' as const,
      failoverDetector: false,
      db: 1,
    };
    const options = resolveOptions({ keyPrefix: 'app', redis }, tempCwd());
    expect(options.redis).toEqual(redis);
    expect(options).not.toHaveProperty('redisCluster');
  });

  it('accepts sentinel addresses with default host or port, and a numeric string port', () => {
    const redis = { sentinels: [{ host: 's1' }, { port: 26380 }, { host: 's3', port: '26381' as never }], name: 'm' };
    expect(resolveOptions({ keyPrefix: 'app', redis }, tempCwd()).redis).toEqual(redis);
  });

  it('folds a URL in (credentials and database of the master), keeping the sentinels', () => {
    const options = resolveOptions(
      { keyPrefix: 'app', redis: { url: 'redis://:pw@ignored:1/2', sentinels, name: 'mymaster' } },
      tempCwd(),
    );
    expect(options.redis).toMatchObject({ password: 'pw', db: 2, sentinels, name: 'mymaster' });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'no master name',
      { sentinels },
      /redis\.name must be set with redis\.sentinels: the name of the master group the sentinels monitor, e\.g\. "mymaster" \(got undefined\)/,
    ],
    ['an empty master name', { sentinels, name: '' }, /redis\.name must be set with redis\.sentinels/],
    [
      'empty sentinels',
      { sentinels: [], name: 'm' },
      /redis\.sentinels must be a non-empty array of Sentinel addresses \{ host, port \} \(got an empty array\)/,
    ],
    [
      'a sentinels object',
      { sentinels: { host: 's' }, name: 'm' },
      /redis\.sentinels must be a non-empty array .* \(got an object\)/,
    ],
    [
      'a sentinel string',
      { sentinels: ['s1:26379'], name: 'm' },
      /redis\.sentinels\[0\] must be \{ host, port \} \(got string\)/,
    ],
    [
      'a sentinel with a bad port',
      { sentinels: [{ host: 's', port: 0 }], name: 'm' },
      /redis\.sentinels\[0\]\.port must be an integer from 1 to 65535 \(got 0\)/,
    ],
    [
      'role slave',
      { sentinels, name: 'm', role: 'slave' },
      /redis\.role must be "master" \(or left out\): the task manager writes to Redis \(got "slave"\)/,
    ],
    [
      'a non-string sentinelPassword',
      { sentinels, name: 'm', sentinelPassword: 12345 },
      /redis\.sentinelPassword must be a string/,
    ],
    ['an ioredis keyPrefix', { host: 'h', keyPrefix: 'x:' }, /redis\.keyPrefix is not supported/],
    ['a non-string url', { url: 42 }, /redis\.url must be a string \(got number\)/],
    [
      'an array',
      [] as never,
      /redis must be a URL string or an ioredis options object, or \{ cluster: \{ nodes: \[\.\.\.\] \} \} for Redis Cluster \(got an empty array\)/,
    ],
  ])('rejects %s', (_label, redis, expected) => {
    expect(problemOf({ keyPrefix: 'app', redis })).toMatch(expected);
  });

  it('never echoes a sentinel password', () => {
    expect(problemOf({ keyPrefix: 'app', redis: { sentinels, sentinelPassword: 98765 } })).not.toMatch(/98765/);
  });
});
