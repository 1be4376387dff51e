import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { ResolvedRedisCluster } from './resolved-options.js';
import type { TaskManagerModuleOptions } from './task-manager-options.interface.js';

/**
 * Resolves the `redis` option: a URL, ioredis options (Sentinel included) or a Cluster, validated, with
 * every problem pushed to `problems` (never echoing credentials).
 */
export interface ResolvedRedis {
  redis: RedisOptions;
  redisUrl?: string;
  redisCluster?: ResolvedRedisCluster;
}

export function resolveRedis(input: TaskManagerModuleOptions['redis'], problems: string[]): ResolvedRedis {
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
      `redis.cluster.nodes must be a non-empty array of startup nodes: { host, port }, "host:port" or a port (got ${typeName(nodes)})`,
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
 * A Sentinel address `{ host?, port? }`, or a Cluster startup node (also `"host:port"`, a redis:// URL or a
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
