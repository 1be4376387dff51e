#!/usr/bin/env node
// Benchmark harness: our engine side by side with BullMQ job schedulers and the `cron` package, on one
// private redis-server, in one run. Reports; never fails.
//
//   npm run bench                    every scenario (rewrites docs/benchmarks.md and docs/benchmarks.json)
//   npm run bench -- lateness idle   some scenarios (by name or number; merged into the existing JSON)
//   node bench/run.mjs --smoke --out /tmp/x all    tiny sizes (the smoke test)
//
// Options: --smoke (tiny sizes), --out DIR (where benchmarks.json/.md go; default docs/),
//          --runs N (repetitions of every scenario instead of the defaults),
//          --render (only rewrite benchmarks.md from benchmarks.json),
//          --redis-url URL (use that server instead of starting a private one: it gets FLUSHALLed
//          unless --no-flush, then only the benchmark's own keys are deleted).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { environment, libraryDistHash } from './lib/environment.mjs';
import { PARAMS } from './lib/params.mjs';
import { harnessClient, startPrivateRedis } from './lib/redis.mjs';
import { renderMarkdown } from './lib/report.mjs';
import { idle } from './scenarios/idle.mjs';
import { lateness, throughput, cluster } from './scenarios/periodic.mjs';
import { commands } from './scenarios/commands.mjs';
import { memory } from './scenarios/memory.mjs';
import { failover } from './scenarios/failover.mjs';
import { recovery } from './scenarios/recovery.mjs';
import { list } from './scenarios/list.mjs';
import { startup } from './scenarios/startup.mjs';
import { profile } from './scenarios/profile.mjs';
import { sweep } from './scenarios/sweep.mjs';
import { burst } from './scenarios/burst.mjs';
import { capacity } from './scenarios/capacity.mjs';
import { partitions } from './scenarios/partitions.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Every scenario, in the order `all` runs them (5 after 2 and 3, whose measurements it reuses). */
export const SCENARIOS = [
  lateness,
  throughput,
  commands,
  cluster,
  burst,
  capacity,
  partitions,
  idle,
  memory,
  failover,
  recovery,
  list,
  startup,
  profile,
  sweep,
];

function parseArgs(argv) {
  const args = { scenarios: [], smoke: false, out: `${root}docs`, redisUrl: undefined, flush: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--smoke') args.smoke = true;
    else if (a === '--out') args.out = argv[++i];
    else if (a === '--redis-url') args.redisUrl = argv[++i];
    else if (a === '--no-flush') args.flush = false;
    else if (a === '--runs') args.runs = Number(argv[++i]);
    else if (a === '--render') args.render = true;
    else if (a === '--help' || a === '-h') args.help = true;
    else args.scenarios.push(a);
  }
  return args;
}

function select(names) {
  if (names.length === 0 || names.includes('all')) return SCENARIOS.filter((s) => !s.optional);
  const chosen = new Set();
  for (const name of names) {
    const s = SCENARIOS.find((x) => x.id === name || String(x.number) === name);
    if (!s)
      throw new Error(
        `unknown scenario "${name}"; known: ${SCENARIOS.map((x) => `${x.number} ${x.id}`).join(', ')}, all`,
      );
    chosen.add(s);
  }
  return SCENARIOS.filter((s) => chosen.has(s));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(
      `usage: node bench/run.mjs [--smoke] [--out DIR] [--runs N] [--redis-url URL [--no-flush]] [--render] [scenario...]\nscenarios: ${SCENARIOS.map((s) => `${s.number}|${s.id}`).join(' ')} all`,
    );
    return;
  }
  if (args.render) {
    // Rewrites benchmarks.md from benchmarks.json (after a change of the report's layout), measuring nothing.
    const report = JSON.parse(readFileSync(`${args.out}/benchmarks.json`, 'utf8'));
    writeFileSync(`${args.out}/benchmarks.md`, renderMarkdown(report));
    console.log(`wrote ${args.out}/benchmarks.md from ${args.out}/benchmarks.json`);
    return;
  }
  const selected = select(args.scenarios);
  const params = structuredClone(args.smoke ? PARAMS.smoke : PARAMS.full);
  if (args.runs > 0) {
    // Fewer (or more) repetitions, e.g. for a quick look: --runs 1.
    for (const p of Object.values(params)) {
      if ('runs' in p) p.runs = args.runs;
      if ('trials' in p) p.trials = args.runs;
    }
  }
  const started = Date.now();
  const log = (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);

  const server = args.redisUrl ? null : await startPrivateRedis();
  const redisUrl = args.redisUrl ?? server.url;
  const redis = harnessClient(redisUrl);
  const usedPrefixes = new Set();
  const ctx = {
    redisUrl,
    redis,
    results: {},
    log,
    smoke: args.smoke,
    /** Cleans up, then returns a fresh key prefix. */
    async fresh(label) {
      await ctx.cleanup();
      const prefix = `bench-${label}-${randomBytes(3).toString('hex')}`;
      usedPrefixes.add(prefix);
      return prefix;
    },
    /** Deletes every key of the benchmark (FLUSHALL on the private server). */
    async cleanup() {
      if (server || args.flush) {
        await redis.flushall();
      } else {
        for (const prefix of usedPrefixes) {
          for (const match of [`{${prefix}}:*`, `${prefix}:*`]) {
            let cursor = '0';
            do {
              const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
              cursor = next;
              if (keys.length) await redis.unlink(...keys);
            } while (cursor !== '0');
          }
        }
        usedPrefixes.clear();
      }
    },
  };

  const jsonPath = `${args.out}/benchmarks.json`;
  const mdPath = `${args.out}/benchmarks.md`;
  mkdirSync(args.out, { recursive: true });
  // A partial run merges into the existing results; a full run replaces them (keeping optional scenarios).
  const full = SCENARIOS.filter((s) => !s.optional).every((s) => selected.includes(s));
  let report = { scenarios: {} };
  if (existsSync(jsonPath)) {
    try {
      const previous = JSON.parse(readFileSync(jsonPath, 'utf8'));
      if (full) {
        report.scenarios = Object.fromEntries(
          Object.entries(previous.scenarios ?? {}).filter(([id]) => SCENARIOS.find((s) => s.id === id)?.optional),
        );
      } else {
        report = previous;
        report.scenarios ??= {};
      }
    } catch {
      // unreadable: start over
    }
  }
  const env = await environment(redis);
  env.versions.libraryDist = libraryDistHash();
  report.environment = env;
  report.profile = args.smoke ? 'smoke' : 'full';
  report.redis = server
    ? 'private redis-server started by the harness'
    : `existing server ${redisUrl.replace(/\/\/[^@/]*@/, '//***@')}`;
  log(
    `redis ${env.versions.redisServer} at ${redisUrl}${server ? ' (private)' : ''}; node ${env.versions.node}; bullmq ${env.versions.bullmq}; cron ${env.versions.cron}`,
  );
  log(`scenarios: ${selected.map((s) => s.id).join(', ')}${args.smoke ? ' (smoke sizes)' : ''}`);

  try {
    if (server) await redis.config('RESETSTAT'); // measurements use deltas; never reset a shared server's stats
    for (const scenario of selected) {
      const t0 = Date.now();
      const distBefore = libraryDistHash();
      const loadBefore = loadavg()[0];
      log(`${scenario.number}. ${scenario.id}: ${scenario.title}`);
      let result;
      try {
        result = await scenario.run(ctx, params[scenario.id], params);
      } catch (error) {
        log(`  ${scenario.id} failed: ${error.stack ?? error}`);
        result = { error: String(error.message ?? error) };
      }
      const seconds = Math.round((Date.now() - t0) / 100) / 10;
      ctx.results[scenario.id] = result;
      const dist = libraryDistHash();
      if (dist !== distBefore)
        log(`  WARNING: the built library changed during this scenario (${distBefore} -> ${dist})`);
      report.scenarios[scenario.id] = {
        ...result,
        measuredAt: new Date().toISOString(),
        durationS: seconds,
        sizes: report.profile,
        libraryDist: distBefore === dist ? dist : `${distBefore} -> ${dist}`,
        loadAverage: [Math.round(loadBefore * 100) / 100, Math.round(loadavg()[0] * 100) / 100],
      };
      log(`  ${scenario.id} done in ${seconds} s`);
      writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(mdPath, renderMarkdown(report));
    }
  } finally {
    redis.disconnect();
    await server?.stop();
  }
  const duration = Math.round((Date.now() - started) / 100) / 10;
  if (full) report.fullRunDurationS = duration;
  report.lastRunDurationS = duration;
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(mdPath, renderMarkdown(report));
  log(`wrote ${jsonPath} and ${mdPath} (${duration} s)`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
