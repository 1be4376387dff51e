/**
 * The unit tests of the pure modules, for mutation testing (`npm run mutate`, stryker.config.mjs): no Redis,
 * no global setup, no e2e project. Same transform and aliases as vitest.config.ts.
 */
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  oxc: base.oxc,
  resolve: base.resolve,
  test: {
    globals: true,
    include: [
      // Not cron-dst-zones.spec.ts: it sweeps every zone (5 s a run) and times each call, which instrumented
      // code fails for the wrong reason.
      'libs/task-manager/test/{slot-planner,cron-expression,cron-schedule,time-zone,wall-clock,task-id}.spec.ts',
      // The task-spec domain and the wire codecs (issue 13 items 1-2): their tests, wherever they land.
      'libs/task-manager/test/**/*{task-spec,wire,codec}*.spec.ts',
      'libs/task-manager/test/{task-spec,wire}/**/*.spec.ts',
    ],
  },
});
