// @ts-check
/**
 * Mutation testing of the pure modules (`npm run mutate`; not part of CI: a run takes minutes). Stryker
 * changes the code one small edit at a time (a `<` into `<=`, a branch removed...) and runs the unit tests
 * that cover it: a mutant that survives is behaviour no test pins down. Score and how to read it:
 * docs/testing.md.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  mutate: [
    'libs/task-manager/src/engine/slot-planner.ts',
    'libs/task-manager/src/cron/*.ts',
    'libs/task-manager/src/registry/task-id.ts',
    'libs/task-manager/src/task-spec/**/*.ts',
    'libs/task-manager/src/wire/**/*.ts',
    '!**/*.generated.ts',
  ],
  // Only what the unit tests of these modules need is copied into the sandbox.
  ignorePatterns: ['/src', '/test', '/soak', '/bench', '/docs', '/tools', '/tmp', '/dist', '/libs/task-manager/dist'],
  coverageAnalysis: 'perTest',
  // Mutants of module-level constants (tables, regular expressions) need the whole suite each: over half of
  // the mutants and nearly all of the time. Left out; the score covers the code that runs per call.
  ignoreStatic: true,
  concurrency: 1,
  timeoutMS: 10_000,
  tempDirName: 'tmp/stryker',
  cleanTempDir: 'always',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'tmp/mutation/mutation.html' },
  jsonReporter: { fileName: 'tmp/mutation/mutation.json' },
  thresholds: { high: 80, low: 60, break: null },
};
