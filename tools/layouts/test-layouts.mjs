#!/usr/bin/env node
// The layout matrix (`npm run test:layouts`, issue 15): re-runs the multi-instance property tests in the
// deployment layouts the main suite does not cover. `npm test` is the standalone layout (one Redis server, the
// partition count each test file states); here the variables of test/support/layout.ts choose another:
//
//   cluster     TM_TEST_TOPOLOGY=cluster: the global setup starts a local 3-master Redis Cluster and the worker
//               processes coordinate through it. Exactly once, failover, crash recovery and fencing with one
//               partition (test/cluster/*), the topology check, and the 60-second chaos soak.
//   p6          TM_TEST_PARTITIONS=6, on standalone Redis: exactly once (spread, stop, join), failover with
//               crash recovery, and fencing with 6 partitions (test/cluster/partitions-*, which run only in a
//               layout of 6: `npm test` skips them), and the chaos soak with 6 partitions.
//   cluster-p6  both: the same files as p6, on a Redis Cluster (two partitions per master).
//
// Options: --layouts cluster,p6,cluster-p6 (default: all three)
//          --results-dir DIR (default tmp/layouts: a Vitest JSON report per layout, layouts-<name>.json, and the
//          totals, summary.json)
// A layout on a Redis Cluster is skipped with a message where one cannot be started (no redis-server or
// redis-cli; `TM_REDIS_SERVER` chooses the binary, as everywhere); a failed test fails the step. The last line
// is "N passed, N failed[, N skipped]" over every layout run.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { topologyToolsMissing } from '../redis-cluster.mjs';
import { finishMatrix, root, runVitest } from '../vitest-matrix.mjs';

/** The 60-second chaos soak: it takes the topology and the partition count from the layout. */
const SOAK = 'test/reliability/soak-short.e2e-spec.ts';

/** The files of 6 partitions (each runs only in a layout of 6 partitions), and the soak. */
const SIX = [
  'test/cluster/partitions-exactly-once.e2e-spec.ts',
  'test/cluster/partitions-failover.e2e-spec.ts',
  'test/cluster/partitions-fencing.e2e-spec.ts',
  SOAK,
];

/** The layouts: their variables (every one set, so that none is inherited) and their test files. */
const LAYOUTS = {
  cluster: {
    env: { TM_TEST_TOPOLOGY: 'cluster', TM_TEST_PARTITIONS: '1' },
    files: [
      // the workers' keys on the Cluster, on every master (without it the layout could prove nothing)
      'test/cluster/topology.e2e-spec.ts',
      'test/cluster/exactly-once.e2e-spec.ts',
      'test/cluster/failover.e2e-spec.ts',
      'test/cluster/crash-recovery.e2e-spec.ts',
      'test/cluster/fencing.e2e-spec.ts',
      SOAK,
    ],
  },
  p6: { env: { TM_TEST_TOPOLOGY: 'standalone', TM_TEST_PARTITIONS: '6' }, files: SIX },
  'cluster-p6': {
    env: { TM_TEST_TOPOLOGY: 'cluster', TM_TEST_PARTITIONS: '6' },
    files: ['test/cluster/topology.e2e-spec.ts', ...SIX],
  },
};

function parseArgs(argv) {
  const options = { layouts: Object.keys(LAYOUTS), resultsDir: join(root, 'tmp', 'layouts') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--layouts') options.layouts = argv[++i].split(',').filter(Boolean);
    else if (arg === '--results-dir') options.resultsDir = resolve(argv[++i]);
    else throw new Error(`unknown argument ${arg} (see the header of tools/layouts/test-layouts.mjs)`);
  }
  const unknown = options.layouts.filter((name) => !Object.hasOwn(LAYOUTS, name));
  if (unknown.length > 0)
    throw new Error(`unknown layout ${unknown.join(', ')}: choose among ${Object.keys(LAYOUTS).join(', ')}`);
  return options;
}

const log = (message) => console.log(`layouts: ${message}`);

/** `A=1 B=2` */
const describeEnv = (env) =>
  Object.entries(env)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');

function main() {
  const options = parseArgs(process.argv.slice(2));
  rmSync(join(options.resultsDir, 'summary.json'), { force: true });
  mkdirSync(options.resultsDir, { recursive: true });
  const rows = [];
  for (const name of options.layouts) {
    const layout = LAYOUTS[name];
    const about = describeEnv(layout.env);
    const missing = layout.env.TM_TEST_TOPOLOGY === 'cluster' ? topologyToolsMissing() : undefined;
    if (missing) {
      log(`skipped ${name}: no local Redis Cluster: ${missing}`);
      rows.push({ layout: name, env: about, outcome: 'skipped' });
      continue;
    }
    log(`${name}: ${about}, ${layout.files.length} test file${layout.files.length === 1 ? '' : 's'}`);
    const counts = runVitest({
      files: layout.files,
      env: { ...process.env, ...layout.env },
      report: join(options.resultsDir, `layouts-${name}.json`),
    });
    rows.push({ layout: name, env: about, ...counts, outcome: counts.failed > 0 ? 'FAILED' : 'passed' });
  }
  finishMatrix({
    rows,
    describe: (row) => [row.layout, row.env],
    errors: 0,
    resultsDir: options.resultsDir,
    key: 'layouts',
    log,
  });
}

main();
