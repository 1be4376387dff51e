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
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finishMatrix, root, runVitest } from '../vitest-matrix.mjs';

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
  const env = { ...process.env, TM_REDIS_SERVER: binary };
  delete env.REDIS_URL; // the global setup starts a private server from the binary
  return runVitest({ files: MATRIX_FILES, env, report: join(resultsDir, `servers-${server}.json`) });
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

  finishMatrix({
    rows,
    describe: (row) => [row.server, row.version ?? ''],
    errors,
    resultsDir: options.resultsDir,
    key: 'servers',
    log,
  });
}

main();
