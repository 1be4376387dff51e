/**
 * Boot with a Redis that does not answer, against real servers: nothing listening, a port that hangs up, a
 * server refusing the password, a TLS client talking to a plain server, a host name that does not resolve.
 *
 * - By default the application boots: one warning names the server (host:port, never the password) and the
 *   reason, health reports unhealthy, nothing is thrown, and the engine starts by itself once Redis answers.
 * - With `waitForRedisMs`, boot fails with one `RedisUnreachableError` naming the server and the reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Module, type INestApplicationContext, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  RedisUnreachableError,
  Task,
  TaskGroup,
  TaskManagerModule,
  TaskManagerService,
  type TaskManagerModuleOptions,
} from 'nestjs-task-manager';
import {
  cleanupPrefix,
  dataNodeArgs,
  findRedisServer,
  freePort,
  pingRedis,
  startRedisServer,
  uniquePrefix,
  waitFor,
} from './support/redis.js';

const PASSWORD = 's3cret-boot-pw';
const WRONG_PASSWORD = 'wr0ng-boot-pw';

/** Log lines the task manager wrote, by level. */
class CapturingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string }> = [];
  log(message: unknown) {
    this.lines.push({ level: 'log', message: String(message) });
  }
  warn(message: unknown) {
    this.lines.push({ level: 'warn', message: String(message) });
  }
  error(message: unknown) {
    this.lines.push({ level: 'error', message: String(message) });
  }
  of(level: string): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }
  get text(): string {
    return this.lines.map((line) => line.message).join('\n');
  }
}

let runs = 0;

@TaskGroup({ name: 'Boot' })
@Injectable()
class BootTasks {
  @Task('* * * * * *', { name: 'tick' })
  tick(): void {
    runs++;
  }
}

function moduleWith(options: TaskManagerModuleOptions) {
  @Module({ imports: [TaskManagerModule.forRoot(options)], providers: [BootTasks] })
  class BootModule {}
  return BootModule;
}

/** A redis-server with `requirepass` (startRedisServer's PING could not authenticate). */
async function startPasswordServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ntm-boot-'));
  const binary = findRedisServer();
  if (!binary) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const child: ChildProcess = spawn(binary, [...dataNodeArgs(port, dir), '--requirepass', PASSWORD], {
    stdio: 'ignore',
  });
  await waitFor(() => pingRedis(`redis://:${PASSWORD}@127.0.0.1:${port}`, 300), {
    timeoutMs: 10_000,
    message: 'the password-protected redis-server',
  });
  return {
    port,
    async stop() {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP port that accepts connections and closes them at once (not a Redis). */
async function startHangUpServer(): Promise<{ port: number; server: Server }> {
  const server = createServer((socket: Socket) => socket.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as { port: number }).port, server };
}

interface Case {
  name: string;
  redis: () => TaskManagerModuleOptions['redis'];
  /** How the server appears in messages. */
  target: () => string;
  reason: RegExp;
}

describe('boot with Redis unreachable', () => {
  const prefix = uniquePrefix('boot');
  let closedPort: number;
  let passwordServer: Awaited<ReturnType<typeof startPasswordServer>>;
  let hangUp: Awaited<ReturnType<typeof startHangUpServer>>;
  const uncaught: unknown[] = [];
  const record = (error: unknown) => uncaught.push(error);

  beforeAll(async () => {
    closedPort = await freePort();
    passwordServer = await startPasswordServer();
    hangUp = await startHangUpServer();
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
  });
  afterAll(async () => {
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
    hangUp?.server.close();
    await passwordServer?.stop();
  });

  const cases: Case[] = [
    {
      name: 'nothing listening',
      redis: () => `redis://127.0.0.1:${closedPort}`,
      target: () => `127.0.0.1:${closedPort}`,
      reason: /ECONNREFUSED/,
    },
    {
      name: 'a port that closes every connection',
      redis: () => `redis://127.0.0.1:${hangUp.port}`,
      target: () => `127.0.0.1:${hangUp.port}`,
      reason: /ECONNRESET|EPIPE|closed/,
    },
    {
      name: 'a wrong password',
      redis: () => `redis://:${WRONG_PASSWORD}@127.0.0.1:${passwordServer.port}`,
      target: () => `127.0.0.1:${passwordServer.port}`,
      reason: /WRONGPASS/,
    },
    {
      name: 'a TLS client and a plain server',
      // The plain server never answers the TLS handshake: the attempt times out (connectTimeout).
      redis: () => ({ url: `rediss://:${PASSWORD}@127.0.0.1:${passwordServer.port}`, connectTimeout: 800 }),
      target: () => `127.0.0.1:${passwordServer.port}`,
      reason: /ETIMEDOUT/,
    },
    {
      name: 'a host name that does not resolve',
      redis: () => `redis://no-such-host.invalid:6379`,
      target: () => 'no-such-host.invalid:6379',
      reason: /ENOTFOUND|EAI_AGAIN/,
    },
  ];

  describe.each(cases)('$name', (spec) => {
    it('boots anyway: one warning naming host:port (never the password), health unhealthy, nothing thrown', async () => {
      const logger = new CapturingLogger();
      uncaught.length = 0;
      const startedAt = Date.now();
      // createApplicationContext runs the bootstrap hooks (boot).
      const app = await NestFactory.createApplicationContext(
        moduleWith({ redis: spec.redis(), keyPrefix: prefix, logger }),
        { logger: false },
      );
      try {
        expect(Date.now() - startedAt).toBeLessThan(6_000);
        const warnings = logger.of('warn');
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain(spec.target());
        expect(warnings[0]).toMatch(spec.reason);
        expect(warnings[0]).toMatch(/starts as soon as Redis answers.*waitForRedisMs/);
        expect(app.get(TaskManagerService).health()).toMatchObject({
          status: 'unhealthy',
          redisConnected: false,
          running: false,
          driver: 'redis',
        });
        // Retries go on quietly: still one warning, no error, nothing thrown.
        await sleep(1_200);
        expect(logger.of('warn')).toHaveLength(1);
        expect(logger.of('error')).toEqual([]);
        expect(logger.text).not.toContain(PASSWORD);
        expect(logger.text).not.toContain(WRONG_PASSWORD);
        expect(uncaught).toEqual([]);
      } finally {
        await closeWithin(app, 5_000);
      }
      expect(uncaught).toEqual([]);
    });

    it('with waitForRedisMs, fails boot with one error naming host:port and the reason', async () => {
      const logger = new CapturingLogger();
      uncaught.length = 0;
      const startedAt = Date.now();
      // createApplicationContext runs the bootstrap hooks: it is what fails.
      const error = await NestFactory.createApplicationContext(
        moduleWith({ redis: spec.redis(), keyPrefix: prefix, logger, waitForRedisMs: 1_000 }),
        { logger: false, abortOnError: false },
      ).then(
        async (app) => {
          await closeWithin(app, 5_000);
          return undefined;
        },
        (failure: unknown) => failure,
      );
      const elapsed = Date.now() - startedAt;
      try {
        expect(error).toBeInstanceOf(RedisUnreachableError);
        const message = (error as Error).message;
        expect(message).toContain(spec.target());
        expect(message).toMatch(spec.reason);
        expect(message).toMatch(/within 1000 ms \(waitForRedisMs\)/);
        expect(message).not.toContain(PASSWORD);
        expect(message).not.toContain(WRONG_PASSWORD);
        expect(elapsed).toBeGreaterThanOrEqual(900);
        expect(elapsed).toBeLessThan(4_000);
        expect(logger.of('warn')).toEqual([]);
        expect(logger.text).not.toContain(PASSWORD);
        // The connections were closed: nothing retries (and holds the process) after the failed boot.
        await sleep(500);
        expect(logger.lines).toEqual([]);
        expect(uncaught).toEqual([]);
      } finally {
        uncaught.length = 0;
      }
    });
  });

  it('starts the engine by itself once Redis answers', async () => {
    const server = await startRedisServer();
    await server.stop();
    const logger = new CapturingLogger();
    const app = await NestFactory.createApplicationContext(
      moduleWith({ redis: server.url, keyPrefix: prefix, logger }),
      { logger: false },
    );
    try {
      const service = app.get(TaskManagerService);
      expect(service.health().status).toBe('unhealthy');
      runs = 0;
      await server.restart();
      await waitFor(() => service.health().status === 'healthy' && runs > 0, {
        timeoutMs: 10_000,
        message: 'the engine to start and run Boot/tick',
      });
      expect(logger.of('warn')).toHaveLength(1);
      expect(logger.of('log').some((line) => /Redis answered: starting the task manager/.test(line))).toBe(true);
      expect(uncaught).toEqual([]);
    } finally {
      await closeWithin(app, 5_000);
      await cleanupPrefix(prefix, server.url).catch(() => undefined);
      await server.stop();
    }
  });
});

/** Closes the application, failing the test if that takes longer than `ms` (a hanging connection). */
async function closeWithin(app: INestApplicationContext, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    app.close(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`app.close() took more than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
