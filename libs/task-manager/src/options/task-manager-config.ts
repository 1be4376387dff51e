/**
 * `TaskManagerService.config()`: the options in force with every secret redacted, safe to log or expose.
 * Passwords, TLS material and credentials in a URL are replaced by {@link REDACTED}; the logger is left out.
 */
import type { ResolvedTaskManagerOptions } from './resolved-options.js';

/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

/** Keys of connection options whose value is a secret (ioredis: `password`, `sentinelPassword`, TLS material). */
const SECRET_KEY = /password|passphrase|secret|token|^tls$|^sentinelTLS$|^key$|^cert$|^ca$|^pfx$/i;

/** Redis connection options with their secrets redacted. */
export interface RedactedRedisOptions {
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
  readonly db?: number;
  readonly sentinels?: ReadonlyArray<Readonly<Record<string, unknown>>>;
  readonly [option: string]: unknown;
}

/** The options in force (defaults included), secrets redacted. */
export interface TaskManagerConfig extends Omit<
  ResolvedTaskManagerOptions,
  'redis' | 'redisUrl' | 'redisCluster' | 'logger'
> {
  /** ioredis options (single server or Sentinel; with `redisCluster`, those of each node), secrets redacted. */
  readonly redis: RedactedRedisOptions;
  /** The URL given, if any, its user and password redacted. */
  readonly redisUrl?: string;
  /** The Redis Cluster, if any: its startup nodes and its options, secrets redacted. */
  readonly redisCluster?: { readonly nodes: readonly unknown[]; readonly options: RedactedRedisOptions };
}

/** The redacted view of `options`. */
export function redactedConfig(options: ResolvedTaskManagerOptions): TaskManagerConfig {
  const { redis, redisUrl, redisCluster, logger: _logger, ...rest } = options;
  return {
    ...rest,
    redis: redact(redis) as RedactedRedisOptions,
    ...(redisUrl === undefined ? {} : { redisUrl: redactUrl(redisUrl) }),
    ...(redisCluster
      ? {
          redisCluster: {
            nodes: redact(redisCluster.nodes) as unknown[],
            options: redact(redisCluster.options) as RedactedRedisOptions,
          },
        }
      : {}),
  };
}

/** A URL with its user and password replaced (`redis://[redacted]@host:6379/0`). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    return url.replace(/\/\/[^@/]*@/, `//${REDACTED}@`);
  } catch {
    return REDACTED;
  }
}

function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  if (Object.getPrototypeOf(value) !== Object.prototype) return value; // functions' owners, Buffers...
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      SECRET_KEY.test(key) && item !== undefined && item !== null && item !== false
        ? REDACTED
        : redact(item, depth + 1),
    ]),
  );
}
