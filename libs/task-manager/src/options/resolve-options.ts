import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { DEFAULT_WORKER_SERVICE_NAME } from '../task-manager.constants.js';
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import { messages } from '../task-manager.messages.js';
import { isValidTimeZone } from '../cron/cron-schedule.js';
import type { ResolvedRedisCluster, ResolvedTaskManagerOptions } from './resolved-options.js';
import type { TaskManagerModuleOptions } from './task-manager-options.interface.js';

const MISFIRE_POLICIES = ['runOnce', 'skip', 'runAll'];

/** Applies defaults to `options` and validates them; throws one error listing every problem. */
export function resolveOptions(
  options: TaskManagerModuleOptions = {},
  cwd = process.cwd(),
): ResolvedTaskManagerOptions {
  const problems: string[] = [];
  const num = (
    key: keyof TaskManagerModuleOptions,
    fallback: number,
    check: 'positive' | 'int' | 'nonNegative' = 'positive',
  ) => {
    const value = options[key] ?? fallback;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (check === 'nonNegative' ? value >= 0 : value > 0) &&
      (check !== 'int' || Number.isInteger(value));
    if (!ok)
      problems.push(
        `${key} must be a ${check === 'int' ? 'positive integer' : check === 'nonNegative' ? 'number >= 0' : 'positive number'} (got ${JSON.stringify(value)})`,
      );
    return value as number;
  };
  const bool = (key: keyof TaskManagerModuleOptions, fallback: boolean) => {
    const value = options[key] ?? fallback;
    if (typeof value !== 'boolean') problems.push(`${key} must be true or false (got ${JSON.stringify(value)})`);
    return value as boolean;
  };

  const { redis, redisUrl, redisCluster } = resolveRedis(options.redis, problems);
  const keyPrefix = resolveKeyPrefix(options, cwd, problems);
  const timeZone = options.timeZone ?? 'UTC';
  if (typeof timeZone !== 'string' || !isValidTimeZone(timeZone))
    problems.push(`timeZone ${JSON.stringify(timeZone)} is not an IANA time zone`);
  const misfirePolicy = options.misfirePolicy ?? 'runOnce';
  if (!MISFIRE_POLICIES.includes(misfirePolicy))
    problems.push(`misfirePolicy must be one of ${MISFIRE_POLICIES.join(', ')} (got ${JSON.stringify(misfirePolicy)})`);
  const workerServiceName = options.workerServiceName ?? DEFAULT_WORKER_SERVICE_NAME;
  if (typeof workerServiceName !== 'string' || !/^[\w.-]{1,100}$/.test(workerServiceName)) {
    problems.push(
      `workerServiceName must be 1-100 letters, digits, "_", "." or "-" (got ${JSON.stringify(workerServiceName)})`,
    );
  }

  const resolved: ResolvedTaskManagerOptions = {
    driver: options.redis === undefined ? 'memory' : 'redis',
    redis,
    redisUrl,
    ...(redisCluster ? { redisCluster } : {}),
    keyPrefix,
    concurrentTasks: num('concurrentTasks', 2, 'int'),
    statisticsRedisExpiration: num('statisticsRedisExpiration', 432_000),
    statisticsHistoryRuns: num('statisticsHistoryRuns', 500, 'int'),
    allowParallel: bool('allowParallel', true),
    pollInterval: num('pollInterval', 0.1),
    workerServiceName,
    streamBlockMs: num('streamBlockMs', 5000, 'int'),
    leaderHeartbeatInterval: num('leaderHeartbeatInterval', 3),
    leaderRetryInterval: num('leaderRetryInterval', 5),
    reconciliationInterval: num('reconciliationInterval', 30),
    retryBackoff: num('retryBackoff', 1),
    retryBackoffMax: num('retryBackoffMax', 60),
    retryBackoffMultiplier: num('retryBackoffMultiplier', 2),
    runningHeartbeatInterval: num('runningHeartbeatInterval', 3),
    timeZone,
    misfirePolicy,
    misfireToleranceMs: num('misfireToleranceMs', 5000, 'nonNegative'),
    misfireMaxRuns: num('misfireMaxRuns', 10, 'int'),
    shutdownTimeoutMs: num('shutdownTimeoutMs', 10_000, 'nonNegative'),
    autoStart: bool('autoStart', true),
    maxKwargsBytes: num('maxKwargsBytes', 65_536, 'int'),
    logger: options.logger,
  };
  if (resolved.retryBackoffMax < resolved.retryBackoff)
    problems.push(`retryBackoffMax (${resolved.retryBackoffMax}) must be >= retryBackoff (${resolved.retryBackoff})`);
  if (resolved.retryBackoffMultiplier < 1)
    problems.push(`retryBackoffMultiplier must be >= 1 (got ${resolved.retryBackoffMultiplier})`);
  if (problems.length > 0) throw new TaskManagerConfigurationError(messages.invalidOptions(problems));
  return resolved;
}

/** `redis` resolved: ioredis options, the URL given if any, and the Cluster to connect to if any. */
interface ResolvedRedis {
  redis: RedisOptions;
  redisUrl?: string;
  redisCluster?: ResolvedRedisCluster;
}

function resolveRedis(input: TaskManagerModuleOptions['redis'], problems: string[]): ResolvedRedis {
  if (input === undefined) return { redis: { host: '127.0.0.1', port: 6379 } };
  if (typeof input === 'string') return parseUrl(input, {}, problems);
  if (!isObject(input)) {
    problems.push(
      `redis must be a URL string or an ioredis options object, or { cluster: { nodes: [...] } } for Redis Cluster (got ${typeName(input)})`,
    );
    return { redis: {} };
  }
  if ((input as { cluster?: unknown }).cluster !== undefined) return resolveCluster(input, problems);
  const { url, ...rest } = input as RedisOptions & { url?: unknown; cluster?: undefined };
  delete (rest as { cluster?: unknown }).cluster;
  checkKeyPrefix(rest, 'redis', problems);
  checkSentinel(rest, problems);
  if (url === undefined) return { redis: { ...rest } };
  if (typeof url !== 'string') {
    problems.push(`redis.url must be a string (got ${typeName(url)})`);
    return { redis: { ...rest } };
  }
  return parseUrl(url, rest, problems);
}

/** Sentinel goes through ioredis options as is; its shape is checked here so mistakes fail at boot, clearly. */
function checkSentinel(options: RedisOptions, problems: string[]): void {
  const { sentinels, name, role, sentinelPassword, sentinelUsername } = options as Record<string, unknown>;
  if (sentinels === undefined) return;
  if (!Array.isArray(sentinels) || sentinels.length === 0) {
    problems.push(
      `redis.sentinels must be a non-empty array of Sentinel addresses { host, port } (got ${typeName(sentinels)})`,
    );
  } else {
    sentinels.forEach((address, i) => checkAddress(address, `redis.sentinels[${i}]`, false, problems));
  }
  if (typeof name !== 'string' || name === '') {
    problems.push(
      `redis.name must be set with redis.sentinels: the name of the master group the sentinels monitor, e.g. "mymaster" (got ${typeName(name)})`,
    );
  }
  if (role !== undefined && role !== 'master') {
    problems.push(
      `redis.role must be "master" (or left out): the task manager writes to Redis (got ${JSON.stringify(role)})`,
    );
  }
  for (const [key, value] of Object.entries({ sentinelPassword, sentinelUsername })) {
    if (value !== undefined && typeof value !== 'string') problems.push(`redis.${key} must be a string`);
  }
}

function resolveCluster(input: object, problems: string[]): ResolvedRedis {
  const { cluster, ...siblings } = input as { cluster: unknown } & Record<string, unknown>;
  const extra = Object.keys(siblings).filter((key) => siblings[key] !== undefined);
  if (extra.length > 0) {
    problems.push(
      `redis.cluster cannot be combined with ${extra.map((key) => `redis.${key}`).join(', ')}: ` +
        'per-node options (username, password, tls, ...) go in redis.cluster.options.redisOptions',
    );
  }
  if (!isObject(cluster)) {
    problems.push(
      `redis.cluster must be { nodes: [{ host, port }, ...], options?: ClusterOptions } (got ${typeName(cluster)})`,
    );
    return { redis: {} };
  }
  const {
    nodes,
    options = {},
    ...unknown
  } = cluster as { nodes?: unknown; options?: unknown } & Record<string, unknown>;
  const unknownKeys = Object.keys(unknown);
  if (unknownKeys.length > 0) {
    problems.push(
      `redis.cluster accepts only nodes and options (got ${unknownKeys.join(', ')}): ioredis Cluster options go in redis.cluster.options`,
    );
  }
  if (!Array.isArray(nodes) || nodes.length === 0) {
    problems.push(
      `redis.cluster.nodes must be a non-empty array of seed nodes: { host, port }, "host:port" or a port (got ${typeName(nodes)})`,
    );
  } else {
    nodes.forEach((node, i) => checkAddress(node, `redis.cluster.nodes[${i}]`, true, problems));
  }
  if (!isObject(options)) {
    problems.push(`redis.cluster.options must be an ioredis ClusterOptions object (got ${typeName(options)})`);
    return { redis: {} };
  }
  const clusterOptions = options as ClusterOptions;
  checkKeyPrefix(clusterOptions, 'redis.cluster.options', problems);
  const redisOptions = clusterOptions.redisOptions ?? {};
  if (!isObject(redisOptions)) {
    problems.push(
      `redis.cluster.options.redisOptions must be an ioredis options object (got ${typeName(redisOptions)})`,
    );
    return { redis: {} };
  }
  checkKeyPrefix(redisOptions, 'redis.cluster.options.redisOptions', problems);
  const { db } = redisOptions as { db?: unknown };
  if (db !== undefined && db !== 0) {
    problems.push(
      `redis.cluster.options.redisOptions.db must be 0: Redis Cluster has only database 0 (got ${JSON.stringify(db)})`,
    );
  }
  return {
    redis: { ...redisOptions },
    redisCluster: { nodes: Array.isArray(nodes) ? [...nodes] : [], options: { ...clusterOptions } },
  };
}

/**
 * A Sentinel address `{ host?, port? }`, or a Cluster seed node (also `"host:port"`, a redis:// URL or a
 * port). Values are not echoed: a node string may carry credentials.
 */
function checkAddress(address: unknown, path: string, clusterNode: boolean, problems: string[]): void {
  const shape = clusterNode ? '{ host, port }, "host:port" or a port number' : '{ host, port }';
  if (clusterNode && typeof address === 'string') {
    if (address.trim() === '' || /\s/.test(address)) problems.push(`${path} must be ${shape} (got a malformed string)`);
    return;
  }
  if (clusterNode && typeof address === 'number') {
    if (!isPort(address)) problems.push(`${path} must be ${shape} (got port ${address})`);
    return;
  }
  if (!isObject(address)) {
    problems.push(`${path} must be ${shape} (got ${typeName(address)})`);
    return;
  }
  const { host, port } = address as { host?: unknown; port?: unknown };
  if (host !== undefined && (typeof host !== 'string' || host === '')) {
    problems.push(`${path}.host must be a non-empty string (got ${typeName(host)})`);
  }
  if (port !== undefined && !isPort(typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port)) {
    problems.push(`${path}.port must be an integer from 1 to 65535 (got ${JSON.stringify(port)})`);
  }
}

/**
 * ioredis' own `keyPrefix` is rejected: it is not applied to the per-task keys the Lua scripts build from
 * prefixes passed as arguments, so state would split between two names. The module's `keyPrefix` namespaces
 * every key instead.
 */
function checkKeyPrefix(options: object, path: string, problems: string[]): void {
  if ((options as { keyPrefix?: unknown }).keyPrefix !== undefined) {
    problems.push(
      `${path}.keyPrefix is not supported (ioredis would not apply it to the keys the Lua scripts build): use the module's keyPrefix option`,
    );
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPort(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65_535;
}

/** What a value is, for messages (never the value itself: it may be a secret). */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

function parseUrl(url: string, rest: RedisOptions, problems: string[]): ResolvedRedis {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    problems.push('redis URL is not a valid URL (expected redis://[user:password@]host:port[/db] or rediss://...)');
    return { redis: rest };
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    problems.push(`redis URL must start with redis:// or rediss:// (got ${parsed.protocol}//)`);
    return { redis: rest };
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined;
  if (db !== undefined && !Number.isInteger(db)) problems.push('redis URL database (the path) must be an integer');
  const redis: RedisOptions = {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db !== undefined ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    ...rest,
  };
  return { redis, redisUrl: url };
}

function resolveKeyPrefix(options: TaskManagerModuleOptions, cwd: string, problems: string[]): string {
  const prefix = options.keyPrefix ?? options.appName ?? readPackageName(cwd);
  if (prefix === undefined || prefix === '') {
    problems.push(messages.missingKeyPrefix());
    return '';
  }
  if (typeof prefix !== 'string' || /[{}\s]/.test(prefix) || prefix.length > 200) {
    problems.push(
      `keyPrefix must be a string of at most 200 characters without "{", "}" or whitespace (got ${JSON.stringify(prefix)})`,
    );
  }
  return prefix;
}

function readPackageName(cwd: string): string | undefined {
  try {
    const name = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')).name;
    return typeof name === 'string' && name.length > 0 ? name : undefined;
  } catch {
    return undefined;
  }
}
