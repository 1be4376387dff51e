// Throwaway redis-server processes on free loopback ports, for the tests (test/support/redis.ts re-exports
// this), the soak (soak/soak.mjs) and the benchmarks (bench/lib/redis.mjs): one home for finding the
// binary, picking a port and starting, stopping, freezing or restarting the server. Types: redis-server.d.mts.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** A free TCP port on the loopback interface (free when this returns; bind it soon). */
export async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('Could not allocate a free port');
  return address.port;
}

/**
 * Environment variable naming the server binary the tests run (`redis-server`, `valkey-server`, a build of
 * another version): the global setup then starts a private server from it instead of using 127.0.0.1:6379,
 * and every private server, Redis Cluster and Sentinel of the tests runs it (see `npm run test:servers`).
 */
export const SERVER_BINARY_ENV = 'TM_REDIS_SERVER';

/** Path of an executable `name` on PATH, or undefined. */
export function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}

/**
 * The server binary of the tests: `$TM_REDIS_SERVER` when set (an error when it is not executable, so a
 * typo never silently tests another server), else `redis-server` on PATH, else undefined.
 */
export function findRedisServer() {
  const chosen = process.env[SERVER_BINARY_ENV];
  if (!chosen) return findOnPath('redis-server');
  try {
    accessSync(chosen, constants.X_OK);
    return chosen;
  } catch {
    throw new Error(`${SERVER_BINARY_ENV}=${chosen} is not an executable server binary`);
  }
}

/** Sends PING with a short timeout and no retries; true when it answered PONG. */
export async function pingRedis(url, timeoutMs = 1_000) {
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
  let timer;
  const deadline = new Promise((resolve) => {
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

/** Arguments of a throwaway redis-server: loopback, no persistence, files in `dir`, logs on stdout. */
export function dataNodeArgs(port, dir, host = '127.0.0.1') {
  const settings = { port: String(port), bind: host, save: '', appendonly: 'no', daemonize: 'no', dir, logfile: '' };
  return Object.entries(settings).flatMap(([name, value]) => [`--${name}`, value]);
}

/** Processes started here, killed if this process exits without stopping them. */
const livingServers = new Set();
let exitHookInstalled = false;

function installExitHook() {
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
 * @param {{ startTimeoutMs?: number, binary?: string }} [options] binary: default {@link findRedisServer}
 */
export async function startRedisServer(options = {}) {
  const binary = options.binary ?? findRedisServer();
  if (!binary) throw new Error(MISSING_REDIS_SERVER);
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  installExitHook();

  const dir = mkdtempSync(join(tmpdir(), 'ntm-redis-'));
  let child;
  let port = 0;

  const launch = async () => {
    mkdirSync(dir, { recursive: true });
    const proc = spawn(binary, dataNodeArgs(port, dir, '127.0.0.1'), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk) => {
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
      if (exited) throw new Error(`redis-server exited before answering on port ${port}:\n${output}`);
      if (await pingRedis(url, 500)) return;
      if (Date.now() >= deadline) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server did not answer on port ${port} within ${startTimeoutMs} ms:\n${output}`);
      }
      await sleep(50);
    }
  };

  const halt = async (signal = 'SIGTERM') => {
    const proc = child;
    child = undefined;
    if (!proc || proc.pid === undefined) return;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGCONT'); // a frozen (SIGSTOPped) server would ignore SIGTERM
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  // A port found free may be taken before redis binds it: try a few.
  let lastError;
  for (let attempt = 0; attempt < 5; attempt++) {
    port = await freePort();
    try {
      await launch();
      lastError = undefined;
      break;
    } catch (error) {
      lastError = error;
      await halt();
    }
  }
  if (lastError !== undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw lastError;
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid;
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    kill(signal = 'SIGKILL') {
      child?.kill(signal);
    },
    halt,
    launch,
    async restart() {
      await halt();
      await launch();
    },
  };
}
