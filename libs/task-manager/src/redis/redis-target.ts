import type { ClusterNode, RedisOptions } from 'ioredis';
import type { ResolvedRedisCluster } from '../options/resolved-options.js';

/** Where the connections go: one server (standalone or through Sentinel), or a Redis Cluster. */
export interface RedisConnectionTarget {
  /** ioredis options of a standalone or Sentinel connection; with `redisCluster`, the per-node options. */
  readonly redis: RedisOptions;
  /** Startup nodes and ioredis Cluster options when the deployment runs on Redis Cluster. */
  readonly redisCluster?: ResolvedRedisCluster;
  /**
   * ioredis `commandTimeout` of the command connection (unless the options set one): a command that gets no
   * reply (a link that hangs without an error) fails after this long, so the engine's loops carry on.
   */
  readonly commandTimeoutMs?: number;
}

/**
 * Names where the connections go, for messages: `host:port`, a socket path, the sentinels and master name, or
 * the Cluster startup nodes. Never a username or password (a startup node given as a URL loses its credentials).
 */
export function describeRedisTarget({ redis, redisCluster }: RedisConnectionTarget): string {
  if (redisCluster) return `Redis Cluster startup nodes ${redisCluster.nodes.map(describeNode).join(', ')}`;
  if (redis.sentinels?.length) {
    const sentinels = redis.sentinels.map((s) => `${s.host ?? 'localhost'}:${s.port ?? 26379}`).join(', ');
    return `master "${redis.name ?? ''}" through sentinels ${sentinels}`;
  }
  if (redis.path) return `socket ${redis.path}`;
  return `${redis.host ?? 'localhost'}:${redis.port ?? 6379}`;
}

function describeNode(node: ClusterNode): string {
  if (typeof node === 'number') return `localhost:${node}`;
  if (typeof node === 'string') return node.replace(/^[a-z]+:\/\//i, '').replace(/^[^@/]*@/, '');
  return `${node.host ?? 'localhost'}:${node.port ?? 6379}`;
}

/**
 * `text` with the passwords of the connection options (Redis and Sentinel) replaced by
 * `***`, in case an error ever quoted one.
 */
export function redactSecrets(text: string, { redis, redisCluster }: RedisConnectionTarget): string {
  const options = redisCluster ? { ...redis, ...redisCluster.options.redisOptions } : redis;
  const secrets = [options.password, options.sentinelPassword]
    .filter((secret): secret is string => typeof secret === 'string' && secret.length >= 3)
    .sort((a, b) => b.length - a.length);
  return secrets.reduce((result, secret) => result.split(secret).join('***'), text);
}
