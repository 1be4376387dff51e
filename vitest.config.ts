import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { embedAssets } from './libs/task-manager/scripts/embed-assets.mjs';

// Tests run against the library's source: its generated modules (Lua scripts, dashboard assets) must embed
// the current .lua and asset files.
embedAssets();

const librarySource = fileURLToPath(new URL('./libs/task-manager/src/index.ts', import.meta.url));
/** Source of `nestjs-task-manager/api` (the HTTP API's request and response classes). */
const apiSource = fileURLToPath(new URL('./libs/task-manager/src/api/index.ts', import.meta.url));
/** Source of `nestjs-task-manager/testing` (test helpers: Redis key layout, task ids). */
const testingSource = fileURLToPath(new URL('./libs/task-manager/src/testing/index.ts', import.meta.url));
/** Source of `nestjs-task-manager/ops` (offline operations: the repartition). */
const opsSource = fileURLToPath(new URL('./libs/task-manager/src/ops/index.ts', import.meta.url));
/** Source of the optional integrations (`nestjs-task-manager/terminus`, `/prometheus`, `/event-emitter`, `/swagger`). */
const integrationsSource = fileURLToPath(new URL('./libs/task-manager/src/integrations/', import.meta.url));

export default defineConfig({
  // Vitest transforms TypeScript with oxc, which by default neither emits legacy decorators nor
  // `design:paramtypes` metadata: Nest's dependency injection needs both.
  oxc: {
    decorator: { legacy: true, emitDecoratorMetadata: true },
    assumptions: { setPublicClassFields: true },
    typescript: { removeClassFieldsWithoutInitializer: true },
  },
  resolve: {
    // Tests import the library exactly as users do, but run against its source (no build needed).
    alias: [
      { find: /^nestjs-task-manager$/, replacement: librarySource },
      {
        find: /^nestjs-task-manager\/(terminus|prometheus|event-emitter|swagger)$/,
        replacement: `${integrationsSource}$1/index.ts`,
      },
      { find: /^nestjs-task-manager\/api$/, replacement: apiSource },
      { find: /^nestjs-task-manager\/testing$/, replacement: testingSource },
      { find: /^nestjs-task-manager\/ops$/, replacement: opsSource },
    ],
  },
  test: {
    globals: true,
    // Finds or starts a Redis server once for the whole run and hands its URL to the workers.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    // Test files run in parallel in child processes (each may own Redis connections, timers and
    // child redis-server processes; forks isolate them and are killed cleanly).
    pool: 'forks',
    fileParallelism: true,
    // Most e2e files wait on wall-clock slots rather than burn CPU: two at a time keeps the suite within
    // 10 minutes on 2 cores (Vitest's default here would be one) without starving timing-sensitive tests.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['libs/task-manager/test/**/*.spec.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e-spec.ts'],
        },
      },
    ],
  },
});
