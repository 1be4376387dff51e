/**
 * An application bundled together with its dependencies into one file (esbuild, `bundle: true`: what
 * single-file images and serverless deployments do) boots, runs a task and serves the dashboard, from a
 * directory with no node_modules. The library embeds its Lua scripts and dashboard assets in its code at
 * build time, so nothing is read from next to it.
 *
 * Only the optional Nest packages the app does not use (and that are not installed) stay external, as Nest's
 * own bundling advice says: @nestjs/microservices and @nestjs/websockets, loaded lazily by @nestjs/core.
 * Wall time: ~6 s (compile, bundle, 3 s of runs).
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import {
  expectTicks,
  freshDir,
  ROOT,
  smokeAppSource,
  startApp,
  tsc,
  writeFiles,
  type AppProcess,
} from './support/packed-app.js';
import { cleanupPrefix, redisUrl, uniquePrefix } from './support/redis.js';

/** ESM output still meets CommonJS dependencies that call require() (ioredis, express...). */
const REQUIRE_SHIM =
  "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);";

describe('an app bundled with its dependencies (esbuild, one file)', () => {
  const prefix = uniquePrefix('bundle');
  // Inside the repository (tmp/ is ignored by git) so that the compiler and the bundler find node_modules.
  const sourceDir = join(ROOT, 'tmp', prefix);
  let runDir: string | undefined;
  let app: AppProcess | undefined;

  afterAll(async () => {
    app?.child.kill('SIGKILL');
    rmSync(sourceDir, { recursive: true, force: true });
    if (runDir) rmSync(runDir, { recursive: true, force: true });
    await cleanupPrefix(prefix);
  });

  it('boots from a directory without node_modules, runs a task and serves the dashboard', async () => {
    writeFiles(sourceDir, {
      'package.json': JSON.stringify({ type: 'module' }),
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          strict: true,
          skipLibCheck: true,
          outDir: 'out',
          rootDir: 'src',
          types: ['node'],
        },
      }),
      'src/main.ts': smokeAppSource({ taskManager: ", api: { path: 'task-manager', dashboard: true }" }),
    });
    // esbuild does not emit decorator metadata: TypeScript compiles, esbuild bundles the JavaScript.
    await tsc('tsconfig.json', sourceDir);
    await build({
      entryPoints: [join(sourceDir, 'out', 'main.js')],
      outfile: join(sourceDir, 'bundle', 'app.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
      banner: { js: REQUIRE_SHIM },
      external: ['@nestjs/microservices', '@nestjs/microservices/*', '@nestjs/websockets', '@nestjs/websockets/*'],
    });

    runDir = freshDir('bundle');
    mkdirSync(runDir, { recursive: true });
    copyFileSync(join(sourceDir, 'bundle', 'app.mjs'), join(runDir, 'app.mjs'));
    const outFile = join(runDir, 'ticks.jsonl');
    app = await startApp('app.mjs', runDir, { REDIS_URL: redisUrl(), TASK_PREFIX: prefix, OUT_FILE: outFile });
    await expectTicks(app, outFile);

    const base = `http://127.0.0.1:${app.port}/task-manager`;
    const page = await fetch(`${base}/dashboard`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Task manager</title>');
    for (const asset of ['dashboard.js', 'format.js', 'dashboard.css']) {
      expect((await fetch(`${base}/dashboard/${asset}`)).status, asset).toBe(200);
    }
    const tasks = (await (await fetch(`${base}/tasks`)).json()) as Array<{ name: string; last_status: string | null }>;
    expect(tasks).toEqual([expect.objectContaining({ name: 'tick', last_status: 'success' })]);
    expect(await app.stop()).not.toBe('SIGKILL');
  }, 120_000);
});
