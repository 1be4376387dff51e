#!/usr/bin/env node
// The server matrix (`npm run test:servers`): runs the tests where the server's behaviour matters against
// each server users run, every one on a private server started from its binary (TM_REDIS_SERVER, read by
// test/support/global-setup.ts and test/support/redis.ts):
//
//   system  the `redis-server` on PATH (Redis 7.0.15 from Debian 12's archive on this project's machines)
//   redis   Redis 8.x, built from Debian 13's source package by tools/servers/obtain-server.sh (cached)
//   valkey  Valkey 8.x, likewise
//
// Options: --servers system,redis,valkey (default: all three)   --no-build (cached builds only)
//          --results-dir DIR (default tmp/servers: a Vitest JSON report per server, servers-<name>.json, and
//          the totals, summary.json)
// A server that cannot be had (not installed, archive unreachable) is skipped with a message; a failed build
// or a failed test fails the step. The last line is "N passed, N failed[, N skipped]" over every server run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const obtain = fileURLToPath(new URL('./obtain-server.sh', import.meta.url));

/** The tests of the matrix: what depends on the server's semantics, not on the HTTP layer. */
const MATRIX_FILES = [
  // the coordination contract, on the Redis driver
  'test/redis-coordination.e2e-spec.ts',
  // several real app processes on one server
  'test/cluster/exactly-once.e2e-spec.ts',
  'test/cluster/failover.e2e-spec.ts',
  'test/cluster/crash-recovery.e2e-spec.ts',
  'test/cluster/fencing.e2e-spec.ts',
  'test/cluster/redis-faults.e2e-spec.ts',
  // both priorities at once
  'test/priority.e2e-spec.ts',
  'test/reliability/run-bookkeeping.e2e-spec.ts',
  'test/reliability/multi-stream-delivery.e2e-spec.ts',
  // Redis Cluster and Sentinel built from the same binary
  'test/redis-topologies/cluster.e2e-spec.ts',
  'test/redis-topologies/sentinel.e2e-spec.ts',
];

const SERVERS = ['system', 'redis', 'valkey'];

function parseArgs(argv) {
  const options = { servers: SERVERS, build: true, resultsDir: join(root, 'tmp', 'servers') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--no-build') options.build = false;
    else if (arg === '--servers') options.servers = argv[++i].split(',').filter(Boolean);
    else if (arg === '--results-dir') options.resultsDir = resolve(argv[++i]);
    else throw new Error(`unknown argument ${arg} (see the header of tools/servers/test-servers.mjs)`);
  }
  const unknown = options.servers.filter((s) => !SERVERS.includes(s));
  if (unknown.length > 0) throw new Error(`unknown server ${unknown.join(', ')}: choose among ${SERVERS.join(', ')}`);
  return options;
}

const log = (message) => console.log(`servers: ${message}`);

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The binary of `server`, or { skip } with the reason, or { error }. */
function binaryOf(server, build) {
  if (server === 'system') {
    const binary = onPath('redis-server');
    return binary ? { binary } : { skip: 'no redis-server on PATH (apt-get install -y redis-server)' };
  }
  const result = spawnSync('bash', [obtain, server], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...(build ? {} : { TM_SERVERS_NO_BUILD: '1' }) },
  });
  const binary = result.stdout.trim().split('\n').pop();
  if (result.status === 0 && binary) return { binary };
  if (result.status === 3) return { skip: `${server} could not be obtained (see the message above)` };
  return { error: `obtaining ${server} failed (exit ${result.status ?? result.signal})` };
}

function versionOf(binary) {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /^.*?v=\S+/.exec(out.trim())?.[0] ?? binary;
}

/** Runs the matrix files on `binary`; returns the counts of the Vitest JSON report. */
function runOn(server, binary, resultsDir) {
  const report = join(resultsDir, `servers-${server}.json`);
  rmSync(report, { force: true });
  const env = { ...process.env, TM_REDIS_SERVER: binary };
  delete env.REDIS_URL; // the global setup starts a private server from the binary
  const started = Date.now();
  const result = spawnSync(
    'npx',
    [
      'vitest',
      'run',
      '--project',
      'e2e',
      ...MATRIX_FILES,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
    ],
    { cwd: root, env, stdio: 'inherit' },
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  if (!existsSync(report)) return { passed: 0, failed: 1, skipped: 0, seconds, note: 'no test report' };
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const counts = {
    passed: r.numPassedTests ?? 0,
    failed: r.numFailedTests ?? 0,
    skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0),
    seconds,
  };
  // A run that failed outside any test (a failed suite, an unhandled error) must not count as green.
  if (result.status !== 0 && counts.failed === 0) counts.failed = 1;
  return counts;
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  rmSync(join(options.resultsDir, 'summary.json'), { force: true });
  mkdirSync(options.resultsDir, { recursive: true });
  const rows = [];
  let errors = 0;
  for (const server of options.servers) {
    const found = binaryOf(server, options.build);
    if (found.error) {
      log(found.error);
      errors++;
      rows.push({ server, outcome: 'error' });
      continue;
    }
    if (found.skip) {
      log(`skipped ${server}: ${found.skip}`);
      rows.push({ server, outcome: 'skipped' });
      continue;
    }
    const version = versionOf(found.binary);
    log(`${server}: ${version} (${found.binary}), ${MATRIX_FILES.length} test files`);
    const counts = runOn(server, found.binary, options.resultsDir);
    rows.push({ server, version, ...counts, outcome: counts.failed > 0 ? 'FAILED' : 'passed' });
  }

  console.log('');
  for (const row of rows) {
    const detail =
      row.passed === undefined
        ? row.outcome
        : `${row.outcome}: ${row.passed} passed, ${row.failed} failed, ${row.skipped} skipped in ${row.seconds} s`;
    log(`${row.server.padEnd(7)} ${(row.version ?? '').padEnd(26)} ${detail}`);
  }
  const sum = (key) => rows.reduce((n, row) => n + (row[key] ?? 0), 0);
  const failed = sum('failed') + errors;
  const skipped = sum('skipped');
  // The totals, with the field names of a Vitest JSON report, for .ci/run's summary over every step.
  const totals = { numPassedTests: sum('passed'), numFailedTests: failed, numPendingTests: skipped, servers: rows };
  writeFileSync(join(options.resultsDir, 'summary.json'), `${JSON.stringify(totals, null, 2)}\n`);
  console.log(`${sum('passed')} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main();
