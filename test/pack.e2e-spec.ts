/**
 * The published package works for a real user: `npm pack` the library, install the tarball into a
 * fresh ESM application (outside the monorepo, with the same Nest/ioredis versions as the root),
 * start a plain-JavaScript Nest app that schedules a per-second task, and check that the task runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from './support/redis.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LIB = join(ROOT, 'libs', 'task-manager');

/** Packages the app installs beside the tarball, pinned to the versions the monorepo uses. */
const APP_DEPENDENCIES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/swagger',
  'class-transformer',
  'class-validator',
  'ioredis',
  'reflect-metadata',
  'rxjs',
];

/** npm settings inherited from an enclosing `npm test` that must not leak into the nested npm. */
const NPM_ENV_LEAKS =
  /^npm_(config_(workspaces?|include_workspace_root|global|prefix|location|dry_run|package_lock_only|ignore_scripts)|lifecycle_|package_)/i;

function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !NPM_ENV_LEAKS.test(key)));
}

interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; rejects with its output when it fails or takes too long. */
function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({ stdout, stderr });
      reject(
        new Error(
          `\`${command} ${args.join(' ')}\` in ${options.cwd} failed (${signal ?? `exit code ${code}`}):\n` +
            `${stdout.slice(-4_000)}\n${stderr.slice(-4_000)}`,
        ),
      );
    });
  });
}

/** Latest modification time of any file under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    newest = Math.max(newest, mtime);
  }
  return newest;
}

/** Builds the library unless dist/ exists and is newer than every source file. */
async function ensureLibraryBuilt(): Promise<void> {
  const entry = join(LIB, 'dist', 'index.js');
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestMtime(join(LIB, 'src'))) {
    return;
  }
  await run('npm', ['run', 'build', '--workspace', 'nestjs-task-manager'], {
    cwd: ROOT,
    env: npmEnv(),
    timeoutMs: 120_000,
  });
}

/** Exact installed version of a root dependency (falls back to the range in the root package.json). */
function rootVersion(name: string): string {
  const installed = join(ROOT, 'node_modules', name, 'package.json');
  if (existsSync(installed)) {
    return (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version;
  }
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const range = root.dependencies?.[name];
  if (!range) throw new Error(`${name} is not a dependency of the monorepo`);
  return range;
}

/** The user's application: plain ESM JavaScript, decorators applied with Reflect.decorate. */
const APP_SOURCE = `import 'reflect-metadata';
import { appendFileSync } from 'node:fs';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Task, TaskGroup, TaskManagerModule } from 'nestjs-task-manager';

const { REDIS_URL, TASK_PREFIX, OUT_FILE } = process.env;

class SmokeTasks {
  tick(_kwargs, ctx) {
    appendFileSync(
      OUT_FILE,
      JSON.stringify({
        group: ctx.groupName,
        task: ctx.taskName,
        scheduledAt: ctx.scheduledAt.toISOString(),
        pid: process.pid,
      }) + '\\n',
    );
  }
}
Object.defineProperty(
  SmokeTasks.prototype,
  'tick',
  Reflect.decorate(
    [Task('* * * * * *', { name: 'tick' })],
    SmokeTasks.prototype,
    'tick',
    Object.getOwnPropertyDescriptor(SmokeTasks.prototype, 'tick'),
  ),
);
const Tasks = Reflect.decorate([TaskGroup({ name: 'Smoke' }), Injectable()], SmokeTasks);

class SmokeModule {}
const AppModule = Reflect.decorate(
  [
    Module({
      // The dashboard reads its static assets from dist/ at startup: the app fails if they were not packed.
      imports: [TaskManagerModule.forRoot({ redis: REDIS_URL, keyPrefix: TASK_PREFIX, api: { dashboard: true } })],
      providers: [Tasks],
    }),
  ],
  SmokeModule,
);

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn', 'log'] });
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
console.log('SMOKE_READY');
`;

interface TickRecord {
  group: string;
  task: string;
  scheduledAt: string;
  pid: number;
}

function readTicks(file: string): TickRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TickRecord);
}

describe('packed library (npm pack + install in a fresh app)', () => {
  const prefix = uniquePrefix('pack');
  let workDir: string | undefined;
  let app: ChildProcess | undefined;

  afterAll(async () => {
    if (app && app.exitCode === null && app.signalCode === null) {
      app.kill('SIGKILL');
    }
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    await cleanupPrefix(prefix);
  });

  it('installs from its tarball and runs a per-second task in a plain ESM Nest app', async () => {
    await ensureLibraryBuilt();
    workDir = mkdtempSync(join(tmpdir(), 'ntm-pack-'));

    // --ignore-scripts: dist/ is fresh (checked above); prepack would rebuild it under other tests' feet.
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], {
      cwd: LIB,
      env: npmEnv(),
      timeoutMs: 60_000,
    });
    const [info] = JSON.parse(packed.stdout) as {
      filename: string;
      files: { path: string }[];
    }[];
    const files = info.files.map((file) => file.path);
    expect(files).toContain('package.json');
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    for (const asset of ['index.html', 'dashboard.js', 'cron-words.js', 'dashboard.css']) {
      expect(files).toContain(`dist/dashboard/assets/${asset}`);
    }
    expect(files.some((path) => path.startsWith('src/'))).toBe(false);
    const tarball = join(workDir, info.filename);
    expect(existsSync(tarball)).toBe(true);

    const appDir = join(workDir, 'app');
    mkdirSync(appDir);
    const dependencies: Record<string, string> = {
      'nestjs-task-manager': `file:${tarball}`,
    };
    for (const name of APP_DEPENDENCIES) dependencies[name] = rootVersion(name);
    writeFileSync(
      join(appDir, 'package.json'),
      JSON.stringify(
        {
          name: 'ntm-pack-smoke',
          version: '0.0.0',
          private: true,
          type: 'module',
          dependencies,
        },
        null,
        2,
      ),
    );
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: appDir,
      env: npmEnv(),
      timeoutMs: 150_000,
    });
    writeFileSync(join(appDir, 'app.mjs'), APP_SOURCE);

    const outFile = join(workDir, 'ticks.jsonl');
    let output = '';
    const child = spawn(process.execPath, ['app.mjs'], {
      cwd: appDir,
      env: {
        ...process.env,
        REDIS_URL: redisUrl(),
        TASK_PREFIX: prefix,
        OUT_FILE: outFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app = child;
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<string>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? `exit code ${code}`)),
    );
    const failIfExited = exited.then((how) => {
      throw new Error(`The app exited (${how}):\n${output.slice(-6_000)}`);
    });
    failIfExited.catch(() => undefined);

    const startedAt = Date.now();
    const ticked = waitFor(() => readTicks(outFile).length > 0, {
      timeoutMs: 20_000,
      intervalMs: 100,
      message: 'the first run of Smoke/tick',
    });
    ticked.catch(() => undefined);
    try {
      await Promise.race([ticked, failIfExited]);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- app output ---\n${output.slice(-6_000)}`);
    }
    // Let it run for about 3 s in all.
    await Promise.race([sleep(Math.max(0, 3_000 - (Date.now() - startedAt))), failIfExited]);

    const ticks = readTicks(outFile);
    expect(ticks.length).toBeGreaterThanOrEqual(1);
    for (const tick of ticks) {
      expect(tick).toMatchObject({
        group: 'Smoke',
        task: 'tick',
        pid: child.pid,
      });
      expect(new Date(tick.scheduledAt).getUTCMilliseconds()).toBe(0);
    }
    // One instance, one run per slot.
    const slots = ticks.map((tick) => tick.scheduledAt);
    expect(new Set(slots).size).toBe(slots.length);

    // Graceful shutdown (enableShutdownHooks): the process ends by itself after SIGTERM.
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const how = await exited;
    clearTimeout(killer);
    expect(how, `the app did not stop on SIGTERM:\n${output.slice(-4_000)}`).not.toBe('SIGKILL');
  }, 180_000);
});
