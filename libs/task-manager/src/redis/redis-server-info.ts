import { Cluster } from 'ioredis';
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import { MIN_REDIS_VERSION } from '../task-manager.constants.js';
import { messages } from '../task-manager.messages.js';
import type { RedisClient } from './redis-client.js';

/** What the server (every master of a Cluster) reports in `INFO server`. */
export interface RedisServerInfo {
  /** `redis_version`; on a Cluster, the oldest among the masters that answered. */
  readonly version: string;
  /** `redis_mode` (Valkey: `server_mode`): `standalone`, `cluster` or `sentinel`. */
  readonly mode: string;
}

/** Reads `INFO server` of the server, or of every master of a Cluster (the oldest version wins). */
export async function readServerInfo(client: RedisClient): Promise<RedisServerInfo> {
  const servers: RedisClient[] = client instanceof Cluster ? client.nodes('master') : [client];
  const replies = await Promise.allSettled(servers.map((server) => server.info('server')));
  const infos = replies.flatMap((reply) => (reply.status === 'fulfilled' ? [reply.value] : []));
  if (infos.length === 0) throw (replies[0] as PromiseRejectedResult | undefined)?.reason ?? new Error('no server');
  const field = (info: string, name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const versions = infos.map((info) => field(info, 'redis_version') ?? '0.0.0');
  versions.sort(compareVersions);
  // Valkey reports its mode as `server_mode` (and `redis_version` 7.2.4, the Redis version it is compatible with).
  const mode = field(infos[0], 'redis_mode') ?? field(infos[0], 'server_mode');
  return { version: versions[0], mode: mode ?? 'standalone' };
}

/** Compares two `major.minor.patch` versions. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** @throws TaskManagerConfigurationError when a server of `version` is older than the library needs. */
export function assertSupportedVersion(version: string): void {
  if (compareVersions(version, MIN_REDIS_VERSION) < 0) {
    throw new TaskManagerConfigurationError(messages.redisTooOld(version, MIN_REDIS_VERSION));
  }
}
