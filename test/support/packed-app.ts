/**
 * Helpers of the tests that use the library as a user does, outside the monorepo: `npm pack` it, install the
 * tarball into a fresh application, compile that application, start it and watch its task run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './redis.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const LIB = join(ROOT, 'libs', 'task-manager');

/** npm settings inherited from an enclosing `npm test` that must not leak into a nested npm. */
const NPM_ENV_LEAKS =
  /^npm_(config_(workspaces?|include_workspace_root|global|prefix|location|dry_run|package_lock_only|ignore_scripts)|lifecycle_|package_)/i;

/** The environment without the enclosing npm's settings. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !NPM_ENV_LEAKS.test(key)));
  return { ...env, ...extra };
}

/** Runs a command to completion; rejects with its output when it fails or takes too long. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: 'pipe' });
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

/** Exact installed version of a package of the monorepo (what the fresh apps pin, to hit npm's cache). */
export function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;
}

/** A directory of its own under the system's temporary directory. */
export function freshDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `ntm-${label}-`));
}

/** Writes `files` (path relative to `dir` → content) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** The TypeScript compiler of the monorepo, run on `project` (a tsconfig.json). */
export function tsc(project: string, cwd: string, extra: string[] = []): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project, ...extra], {
    cwd,
    timeoutMs: 120_000,
  });
}

/** One run of the smoke task, as the apps append it to their output file. */
export interface TickRecord {
  group: string;
  task: string;
  scheduledAt: string;
  pid: number;
}

export function readTicks(file: string): TickRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TickRecord);
}

/** An application process started by {@link startApp}. */
export interface AppProcess {
  readonly child: ChildProcess;
  /** Its HTTP port (it prints `SMOKE_READY <port>` once listening). */
  readonly port: number;
  output(): string;
  /** SIGTERM, then SIGKILL after 20 s; resolves with how it ended. */
  stop(): Promise<string>;
}

/**
 * Starts `node <entry>` in `cwd` and waits for its `SMOKE_READY <port>` line; rejects with its output when
 * it exits first or stays silent for `timeoutMs`.
 */
export async function startApp(
  entry: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<AppProcess> {
  const child = spawn(process.execPath, [entry], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? `exit code ${code}`)),
  );
  const ready = waitFor(() => /SMOKE_READY (\d+)/.exec(output)?.[1], {
    timeoutMs,
    intervalMs: 50,
    message: `${entry} to print SMOKE_READY`,
  });
  const early = exited.then((how) => {
    throw new Error(`${entry} exited (${how}) before it was ready`);
  });
  let port: number;
  try {
    port = Number(await Promise.race([ready, early]));
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n--- output ---\n${output.slice(-6_000)}`);
  } finally {
    ready.catch(() => undefined);
    early.catch(() => undefined);
  }
  let how: string | undefined;
  void exited.then((value) => (how = value));
  return {
    child,
    port,
    output: () => output,
    async stop() {
      if (how !== undefined) return how;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const result = await exited;
      clearTimeout(killer);
      return result;
    },
  };
}

/**
 * Waits until the app recorded at least one run, lets it run about `forMs` in all, and checks every run:
 * task `Smoke/tick`, this process, whole-second slots, one run per slot.
 */
export async function expectTicks(app: AppProcess, outFile: string, forMs = 3_000): Promise<TickRecord[]> {
  const startedAt = Date.now();
  await waitFor(() => readTicks(outFile).length > 0 || app.child.exitCode !== null, {
    timeoutMs: 20_000,
    message: `a run of Smoke/tick\n--- output ---\n${app.output().slice(-4_000)}`,
  });
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, forMs - (Date.now() - startedAt))));
  const ticks = readTicks(outFile);
  if (ticks.length === 0) throw new Error(`no run recorded:\n${app.output().slice(-6_000)}`);
  for (const tick of ticks) {
    if (tick.group !== 'Smoke' || tick.task !== 'tick' || tick.pid !== app.child.pid)
      throw new Error(`unexpected run ${JSON.stringify(tick)}`);
    if (new Date(tick.scheduledAt).getUTCMilliseconds() !== 0) throw new Error(`slot not whole: ${tick.scheduledAt}`);
  }
  const slots = ticks.map((tick) => tick.scheduledAt);
  if (new Set(slots).size !== slots.length) throw new Error(`a slot ran twice: ${slots.join(', ')}`);
  return ticks;
}

/**
 * The TypeScript source of a user's app: a per-second task appending to `$OUT_FILE`, TaskManagerModule on
 * `$REDIS_URL` (absent: the in-process driver), listening on a free port and printing `SMOKE_READY <port>`.
 * @param extra.imports TypeScript import lines; extra.moduleImports: entries of the AppModule's imports
 *   besides the task manager; extra.taskManager: more options of forRoot; extra.controllers, extra.providers
 */
export function smokeAppSource(
  extra: {
    imports?: string[];
    moduleImports?: string[];
    taskManager?: string;
    controllers?: string[];
    providers?: string[];
    declarations?: string;
  } = {},
): string {
  return `import 'reflect-metadata';
import { appendFileSync } from 'node:fs';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Task, TaskGroup, TaskManagerModule, type TaskContext } from 'nestjs-task-manager';
${(extra.imports ?? []).join('\n')}

@TaskGroup({ name: 'Smoke' })
@Injectable()
class SmokeTasks {
  @Task('* * * * * *', { name: 'tick' })
  tick(_kwargs: Record<string, unknown>, ctx: TaskContext): void {
    const run = { group: ctx.groupName, task: ctx.taskName, scheduledAt: ctx.scheduledAt.toISOString(), pid: process.pid };
    appendFileSync(process.env.OUT_FILE as string, JSON.stringify(run) + '\\n');
  }
}
${extra.declarations ?? ''}
@Module({
  imports: [
    TaskManagerModule.forRoot({ redis: process.env.REDIS_URL, keyPrefix: process.env.TASK_PREFIX${extra.taskManager ?? ''} }),
    ${(extra.moduleImports ?? []).join(',\n    ')}
  ],
  controllers: [${(extra.controllers ?? []).join(', ')}],
  providers: [SmokeTasks${(extra.providers ?? []).map((p) => `, ${p}`).join('')}],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  console.log('SMOKE_READY ' + address.port);
}
void main();
`;
}
