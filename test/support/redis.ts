/**
 * Redis helpers for the test suites.
 *
 * - `redisUrl()` is the shared server found or started by `global-setup.ts`.
 * - `uniquePrefix()` / `cleanupPrefix()` isolate each test's keys on that shared server.
 * - `startRedisServer()` starts a private server for tests that must stop, kill or restart Redis (the binary
 *   of `$TM_REDIS_SERVER` when set, else `redis-server` on PATH); it lives in tools/redis-server.mjs, shared
 *   with the soak and the benchmarks.
 * - `waitFor()` polls a condition.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the Redis server shared by the whole run (see `test/support/global-setup.ts`). */
    redisUrl: string;
  }
}

/** URL of the Redis server shared by the test run. */
export function redisUrl(): string {
  let provided: string | undefined;
  try {
    provided = inject('redisUrl');
  } catch {
    // Not inside a Vitest worker (e.g. imported by the global setup): fall back to the environment.
  }
  const url = provided ?? process.env.REDIS_URL;
  if (!url) {
    throw new Error(
      'No Redis URL: run the tests through Vitest (test/support/global-setup.ts provides one) or set REDIS_URL.',
    );
  }
  return url;
}

/** A key prefix unique to one test: `t-<label>-<random hex>`. */
export function uniquePrefix(label: string): string {
  return `t-${label}-${randomBytes(6).toString('hex')}`;
}

/** Escapes the characters that are special in a Redis glob pattern (`* ? [ ] \`). */
export function escapeRedisGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Deletes every key of a deployment, i.e. every key matching `{<prefix>}:*` (found with SCAN,
 * so it is safe on a shared server), and closes its own connection.
 *
 * @param prefix the `keyPrefix` the deployment used
 * @param url the server (defaults to {@link redisUrl})
 * @returns how many keys were deleted
 */
export async function cleanupPrefix(prefix: string, url: string = redisUrl()): Promise<number> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  let deleted = 0;
  try {
    await client.connect();
    const match = `${escapeRedisGlob(`{${prefix}}`)}:*`;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. @default 10000 */
  timeoutMs?: number;
  /** Pause between two evaluations of the predicate. @default 50 */
  intervalMs?: number;
  /** Describes what is awaited, for the timeout error. */
  message?: string;
}

/**
 * Evaluates `predicate` until it returns a truthy value, and resolves with that value.
 * A predicate that throws counts as false; the last error is reported if the wait times out.
 *
 * @throws Error when the predicate is still falsy after `timeoutMs`
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50, message }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const what = message ?? 'condition';
      const cause =
        lastError instanceof Error
          ? ` (last error: ${lastError.message})`
          : lastError === undefined
            ? ''
            : ` (last error: ${String(lastError)})`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${cause}`, {
        cause: lastError,
      });
    }
    await sleep(intervalMs);
  }
}

// The server processes, the port and the binary: one home for the tests, the soak and the benchmarks.
export {
  dataNodeArgs,
  findOnPath,
  findRedisServer,
  freePort,
  pingRedis,
  SERVER_BINARY_ENV,
  startRedisServer,
  type RedisServerHandle,
} from '../../tools/redis-server.mjs';
