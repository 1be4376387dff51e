/**
 * The published package works for a real user. `npm pack` the library; the tarball holds README, LICENSE,
 * the compiled code and its types, and no source map or source. Then two fresh applications, outside the
 * monorepo, each installed with the README's install line only (the tarball standing for the package name):
 * - an ES module app on Nest 11 with the core line (`npm install nestjs-task-manager`): class-validator and
 *   class-transformer are not installed, so it proves the HTTP layer stays optional;
 * - a CommonJS app on Nest 12 with the API and health lines (`class-validator class-transformer`,
 *   `@nestjs/terminus`), type-checked under `moduleResolution: "node"` (subpaths through typesVersions) and
 *   `"nodenext"`, with the management API, the dashboard and a Terminus `/health`.
 * Both are compiled by TypeScript, boot, run a per-second task on Redis and stop on SIGTERM; the first runs the
 * package's command (`npx nestjs-task-manager repartition --help`), the second type-checks `nestjs-task-manager/ops`.
 *
 * Wall time: ~40-60 s, mostly the two `npm install`s (npm's cache makes repeated runs faster).
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  expectTicks,
  freshDir,
  installedVersion,
  LIB,
  ROOT,
  run,
  smokeAppSource,
  startApp,
  tsc,
  writeFiles,
  type AppProcess,
} from './support/packed-app.js';
import { ensureLibraryFresh } from './support/library-build.js';
import { cleanupPrefix, redisUrl, uniquePrefix } from './support/redis.js';

/** `npm install` in an app directory, preferring npm's cache (the registry is asked only for what is missing). */
function npmInstall(dir: string, packages: string[]): Promise<unknown> {
  return run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...packages], {
    cwd: dir,
    timeoutMs: 240_000,
  });
}

/** What `nest new` gives an app before the library is installed. */
function nestAppManifest(type: 'module' | 'commonjs', nest: string): string {
  const dependencies = {
    '@nestjs/common': nest,
    '@nestjs/core': nest,
    '@nestjs/platform-express': nest,
    'reflect-metadata': installedVersion('reflect-metadata'),
    rxjs: installedVersion('rxjs'),
  };
  return JSON.stringify({ name: `ntm-${type}-app`, version: '0.0.0', private: true, type, dependencies }, null, 2);
}

const COMPILER_OPTIONS = {
  target: 'ES2023',
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  strict: true,
  skipLibCheck: true,
  outDir: 'dist',
  rootDir: 'src',
  types: ['node'],
  typeRoots: [join(ROOT, 'node_modules', '@types')],
};

describe('packed library (npm pack + install in fresh apps)', () => {
  const prefix = uniquePrefix('pack');
  let workDir: string;
  let tarball: string;
  let files: string[];
  const apps: AppProcess[] = [];

  beforeAll(async () => {
    ensureLibraryFresh();
    workDir = freshDir('pack');
    // --ignore-scripts: dist/ is fresh (checked above); prepack would rebuild it under other tests' feet.
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], {
      cwd: LIB,
      timeoutMs: 60_000,
    });
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = info.files.map((file) => file.path);
    tarball = join(workDir, info.filename);
  }, 180_000);

  afterAll(async () => {
    for (const app of apps) app.child.kill('SIGKILL');
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    await cleanupPrefix(prefix);
  });

  it('holds README, LICENSE, the compiled code and its types, and no source map or source', () => {
    for (const file of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']) {
      expect(files).toContain(file);
    }
    for (const subpath of ['terminus', 'prometheus', 'event-emitter', 'swagger']) {
      expect(files).toContain(`dist/integrations/${subpath}/index.d.ts`);
    }
    expect(files).toContain('dist/api/index.d.ts');
    expect(files).toContain('dist/testing/index.d.ts');
    // The offline operations' subpath and the package's command (`bin`).
    expect(files).toContain('dist/ops/index.d.ts');
    expect(files).toContain('dist/ops/cli.js');
    // Lua scripts and dashboard assets are embedded in the code, not shipped as files.
    expect(files).toContain('dist/redis/lua-scripts.generated.js');
    expect(files).toContain('dist/dashboard/dashboard-assets.generated.js');
    expect(files.filter((file) => /\.map$|\.lua$|\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((file) => !/^(dist\/|package\.json$|README\.md$|LICENSE$)/.test(file))).toEqual([]);
  });

  it('runs in a fresh ES module app on Nest 11 installed with the core line only', async () => {
    const dir = join(workDir, 'esm-app');
    writeFiles(dir, {
      'package.json': nestAppManifest('module', '^11.0.0'),
      'tsconfig.json': JSON.stringify({
        compilerOptions: { ...COMPILER_OPTIONS, module: 'nodenext', moduleResolution: 'nodenext' },
      }),
      'src/main.ts': smokeAppSource(),
    });
    await npmInstall(dir, [tarball]);
    // The HTTP layer's peers are optional: the core line does not bring them, and the app does not need them.
    expect(existsSync(join(dir, 'node_modules', 'class-validator'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', 'class-transformer'))).toBe(false);
    await tsc('tsconfig.json', dir);
    // The package's command is installed with it (node_modules/.bin, executable, run by node through its shebang).
    const help = await run('npx', ['--no-install', 'nestjs-task-manager', 'repartition', '--help'], {
      cwd: dir,
      timeoutMs: 60_000,
    });
    expect(help.stdout).toContain('Usage: nestjs-task-manager repartition --key-prefix <prefix> --to <partitions>');

    const outFile = join(workDir, 'esm-ticks.jsonl');
    const app = await startApp('dist/main.js', dir, {
      REDIS_URL: redisUrl(),
      TASK_PREFIX: `${prefix}-esm`,
      OUT_FILE: outFile,
    });
    apps.push(app);
    await expectTicks(app, outFile);
    expect(await app.stop(), `the app did not stop on SIGTERM:\n${app.output().slice(-4_000)}`).not.toBe('SIGKILL');
  }, 300_000);

  it('type-checks and runs in a fresh CommonJS app on Nest 12 with the API and health lines', async () => {
    const dir = join(workDir, 'cjs-app');
    const nest = `^${installedVersion('@nestjs/core')}`;
    writeFiles(dir, {
      'package.json': nestAppManifest('commonjs', nest),
      // The legacy resolution (TypeScript 6 asks to acknowledge its deprecation): subpaths via typesVersions.
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          ...COMPILER_OPTIONS,
          module: 'commonjs',
          moduleResolution: 'node',
          ignoreDeprecations: '6.0',
        },
      }),
      // Nest's default for CommonJS apps today.
      'tsconfig.nodenext.json': JSON.stringify({
        compilerOptions: { ...COMPILER_OPTIONS, module: 'nodenext', moduleResolution: 'nodenext', noEmit: true },
      }),
      'src/main.ts': smokeAppSource({
        imports: [
          "import { Controller, Get } from '@nestjs/common';",
          "import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';",
          "import { TaskManagerHealthIndicator } from 'nestjs-task-manager/terminus';",
          "import { TaskManagerKeys } from 'nestjs-task-manager/testing';",
          "import { repartition, type RepartitionSummary } from 'nestjs-task-manager/ops';",
        ],
        declarations: `
/** The test helpers' subpath resolves and type-checks too. */
export const historyKeyOf = (taskId: string) => new TaskManagerKeys('smoke').history(taskId);
/** And the offline operations' subpath. */
export const repartitionTo = (to: number): Promise<RepartitionSummary> =>
  repartition({ redis: 'redis://127.0.0.1:1', keyPrefix: 'smoke', to });
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly taskManager: TaskManagerHealthIndicator,
  ) {}
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.taskManager.isHealthy('task-manager')]);
  }
}
`,
        taskManager: ", api: { path: 'task-manager', dashboard: true }",
        moduleImports: ['TerminusModule'],
        controllers: ['HealthController'],
        providers: ['TaskManagerHealthIndicator'],
      }),
    });
    await npmInstall(dir, [tarball, 'class-validator', 'class-transformer', '@nestjs/terminus']);
    await tsc('tsconfig.nodenext.json', dir);
    await tsc('tsconfig.json', dir);

    const outFile = join(workDir, 'cjs-ticks.jsonl');
    const app = await startApp('dist/main.js', dir, {
      REDIS_URL: redisUrl(),
      TASK_PREFIX: `${prefix}-cjs`,
      OUT_FILE: outFile,
    });
    apps.push(app);
    await expectTicks(app, outFile);
    const base = `http://127.0.0.1:${app.port}`;
    const health = await fetch(`${base}/health`);
    expect(health.status, await health.clone().text()).toBe(200);
    expect(
      ((await health.json()) as { details: Record<string, { driver: string }> }).details['task-manager'].driver,
    ).toBe('redis');
    expect((await fetch(`${base}/task-manager/health`)).status).toBe(200);
    const page = await fetch(`${base}/task-manager/dashboard`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Task manager</title>');
    expect(await app.stop(), `the app did not stop on SIGTERM:\n${app.output().slice(-4_000)}`).not.toBe('SIGKILL');
  }, 300_000);
});
