/**
 * Redis helpers for the test suites.
 *
 * - `redisUrl()` is the shared server found or started by `global-setup.ts`.
 * - `uniquePrefix()` / `cleanupPrefix()` isolate each test's keys on that shared server.
 * - `startRedisServer()` starts a private server for tests that must stop, kill or restart Redis.
 * - `waitFor()` polls a condition.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
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

/**
 * Sends PING to a Redis server with a short timeout and no retries.
 *
 * @returns true when it answered PONG
 */
export async function pingRedis(url: string, timeoutMs = 1_000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
  });
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const attempt = (async () => {
    await client.connect();
    return (await client.ping()) === 'PONG';
  })().catch(() => false);
  try {
    return await Promise.race([attempt, deadline]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** A free TCP port on the loopback interface (free when this returns; bind it soon). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('Could not allocate a free port');
  }
  return address.port;
}

/** Path of `redis-server` on PATH, or undefined. */
export function findRedisServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** A redis-server process started by {@link startRedisServer}. */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
  /** Sends a signal to the server process (e.g. SIGKILL to crash it, SIGSTOP/SIGCONT to freeze it). */
  kill(signal?: NodeJS.Signals): void;
  /** Stops the server if it runs, then starts a new, empty one on the same port and waits until it answers. */
  restart(): Promise<void>;
}

/** Arguments of a throwaway redis-server: loopback, no persistence, files in `dir`, logs on stdout. */
export function dataNodeArgs(port: number, dir: string, host = '127.0.0.1'): string[] {
  const settings = { port: String(port), bind: host, save: '', appendonly: 'no', daemonize: 'no', dir, logfile: '' };
  return Object.entries(settings).flatMap(([name, value]) => [`--${name}`, value]);
}

/** Processes started here, killed if the test process exits without stopping them. */
const livingServers = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of livingServers) child.kill('SIGKILL');
  });
}

const MISSING_REDIS_SERVER =
  'redis-server was not found on PATH. Install it (e.g. `apt-get install -y redis-server`) ' +
  'or point REDIS_URL at a running Redis server.';

/**
 * Starts a private, non-persistent redis-server on a free loopback port and waits until it answers PING.
 * Use it for tests that stop, kill or restart Redis; ordinary tests share {@link redisUrl}.
 *
 * @param options.startTimeoutMs how long to wait for the server to answer (default 10 s)
 * @throws Error when redis-server is not installed or does not start
 */
export async function startRedisServer(options: { startTimeoutMs?: number } = {}): Promise<RedisServerHandle> {
  const binary = findRedisServer();
  if (!binary) throw new Error(MISSING_REDIS_SERVER);
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  installExitHook();

  const dir = mkdtempSync(join(tmpdir(), 'ntm-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;

  const launch = async (): Promise<void> => {
    mkdirSync(dir, { recursive: true });
    const args = dataNodeArgs(port, dir, '127.0.0.1');
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4_000);
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);
    let exited = false;
    proc.once('exit', () => {
      exited = true;
      livingServers.delete(proc);
    });
    proc.once('error', (error) => {
      exited = true;
      output += `\n${error.message}`;
    });
    livingServers.add(proc);
    child = proc;
    const url = `redis://127.0.0.1:${port}`;
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (exited) {
        throw new Error(`redis-server exited before answering on port ${port}:\n${output}`);
      }
      if (await pingRedis(url, 500)) return;
      if (Date.now() >= deadline) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server did not answer on port ${port} within ${startTimeoutMs} ms:\n${output}`);
      }
      await sleep(50);
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.pid === undefined) return;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGCONT'); // a frozen (SIGSTOPped) server would ignore SIGTERM
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  // A port found free may be taken before redis binds it: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    port = await freePort();
    try {
      await launch();
      lastError = undefined;
      break;
    } catch (error) {
      lastError = error;
      await stop();
    }
  }
  if (lastError !== undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw lastError;
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      child?.kill(signal);
    },
    async restart() {
      await stop();
      await launch();
    },
  };
}
