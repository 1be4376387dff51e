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
      autoStart: true,
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
