// Profile of our engine under the scenario-3 load (per-second tasks, 1 instance): a V8 CPU profile of the
// app process over the measurement window (inspector Profiler, started and stopped over IPC), summarised by
// self time per function and per module; and, from Redis's
// side, every command of a short sample (SLOWLOG with a 0 µs threshold) grouped by command and Lua
// script, with its execution time, plus the commandstats of the window.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { measurePeriodic, sleepUntil } from '../lib/periodic.mjs';
import { round } from '../lib/stats.mjs';

const luaModule = new URL('../../libs/task-manager/dist/redis/lua-scripts.generated.js', import.meta.url).href;

/**
 * sha1 -> script file name, for the scripts of the built library (embedded in its dist by embed-assets.mjs;
 * ioredis runs them by EVALSHA of their source).
 */
export async function scriptNames() {
  const names = {};
  try {
    const { LUA_SCRIPTS } = await import(luaModule);
    for (const [file, lua] of Object.entries(LUA_SCRIPTS)) {
      names[createHash('sha1').update(lua).digest('hex')] = file.replace(/-\d+\.lua$/, '');
    }
  } catch {
    // no built scripts: shas stay unnamed
  }
  return names;
}

/** Every command Redis ran during `ms`, grouped by command (and script for EVALSHA). */
async function sampleCommands(redis, ms) {
  const names = await scriptNames();
  const [[, threshold], [, maxLen]] = await Promise.all([
    redis.config('GET', 'slowlog-log-slower-than'),
    redis.config('GET', 'slowlog-max-len'),
  ]);
  await redis.config('SET', 'slowlog-max-len', 1_000_000);
  await redis.config('SET', 'slowlog-log-slower-than', 0);
  await redis.slowlog('RESET');
  const t0 = Date.now();
  await sleep(ms);
  await redis.config('SET', 'slowlog-log-slower-than', threshold);
  const seconds = (Date.now() - t0) / 1000;
  const entries = await redis.slowlog('GET', -1);
  await redis.config('SET', 'slowlog-max-len', maxLen);
  await redis.slowlog('RESET');
  const groups = {};
  const inner = {};
  for (const [, , micros, args, , clientName] of entries) {
    const command = String(args[0]).toLowerCase();
    if (command === 'config' || command === 'slowlog') continue;
    let key = command;
    if (command === 'evalsha') key = `evalsha ${names[String(args[1])] ?? String(args[1]).slice(0, 8)}`;
    // Commands run by a script are logged too, by the script client (no name; every connection of the engine
    // and of the harness has one): their time is inside the script's.
    const g = clientName
      ? (groups[key] ??= { calls: 0, usec: 0, maxUsec: 0, clients: {} })
      : (inner[key] ??= { calls: 0, usec: 0, maxUsec: 0, clients: {} });
    g.calls++;
    g.usec += Number(micros);
    g.maxUsec = Math.max(g.maxUsec, Number(micros));
    const client = clientName || '?';
    g.clients[client] = (g.clients[client] ?? 0) + 1;
  }
  const totalUsec = Object.values(groups).reduce((a, g) => a + g.usec, 0);
  const scriptUsec = Object.entries(groups).reduce((a, [k, g]) => a + (k.startsWith('eval') ? g.usec : 0), 0);
  const rows = (map, total) =>
    Object.entries(map)
      .map(([command, g]) => ({
        command,
        callsPerSecond: round(g.calls / seconds, 1),
        usecPerCall: round(g.usec / g.calls, 1),
        maxUsec: g.maxUsec,
        shareOfRedisTime: round((g.usec / total) * 100, 1),
        clients: g.clients,
      }))
      .sort((a, b) => b.shareOfRedisTime - a.shareOfRedisTime);
  return {
    seconds: round(seconds, 2),
    entries: entries.length,
    redisBusyPercent: round((totalUsec / 1e6 / seconds) * 100, 1),
    commands: rows(groups, totalUsec),
    /** Commands run inside scripts; share = of all script time. */
    insideScripts: rows(inner, scriptUsec),
  };
}

/** Where a profile node's code lives. */
function moduleOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.includes('/libs/task-manager/dist/')) return `library: ${url.split('/libs/task-manager/dist/')[1]}`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/bench/')) return 'bench harness (recorder)';
  return url;
}

/** Self time per function and per module, and inclusive time of the library's functions. */
export function summarizeProfile(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) self.set(samples[i], (self.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byFunction = new Map();
  const byModule = new Map();
  const inclusive = new Map();
  for (const [id, micros] of self) {
    const n = nodes.get(id);
    const cf = n.callFrame;
    const fn =
      `${cf.functionName || '(anonymous)'} ${cf.url ? `${cf.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${cf.lineNumber + 1}` : ''}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
    const mod = moduleOf(cf.url, cf.functionName);
    byModule.set(mod, (byModule.get(mod) ?? 0) + micros);
    // Inclusive time of library functions: walk up once per distinct frame.
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const f = nodes.get(cur).callFrame;
      if (!f.url.includes('/libs/task-manager/dist/')) continue;
      const key = `${f.functionName || '(anonymous)'} ${f.url.split('/libs/task-manager/dist/')[1]}:${f.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + micros);
    }
  }
  const top = (map, n) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, micros]) => ({ name, ms: round(micros / 1000, 1), percent: round((micros / total) * 100, 1) }));
  return {
    sampledMs: round(total / 1000, 1),
    byModule: top(byModule, 15),
    bySelfTime: top(byFunction, 25),
    libraryInclusive: top(inclusive, 20),
  };
}

export const profile = {
  id: 'profile',
  number: 11,
  title: 'Profile of our engine under the scenario-3 load',
  async run(ctx, p) {
    const dir = mkdtempSync(join(tmpdir(), 'ntm-bench-profile-'));
    let redisSample;
    let cpuProfile;
    const result = await measurePeriodic(ctx, {
      system: 'ours',
      tasks: p.tasks,
      concurrency: p.concurrency,
      warmupS: p.warmupS,
      windowS: p.windowS,
      graceMs: 2000,
      // The CPU profile covers the measurement window only (started and stopped over IPC).
      onWindow: async ({ procs, windowEnd }) => {
        await procs[0].request('profileStart', { intervalUs: 1000 });
        await sleep(p.slowlogDelayMs ?? 1000);
        redisSample = await sampleCommands(ctx.redis, p.slowlogSampleMs);
        await sleepUntil(windowEnd - 250);
        cpuProfile = await procs[0].request('profileStop', {}, 120_000);
      },
    });
    let file = null;
    let cpu = null;
    if (cpuProfile) {
      file = join(dir, 'engine-window.cpuprofile');
      writeFileSync(file, JSON.stringify(cpuProfile));
      cpu = summarizeProfile(cpuProfile);
    }
    ctx.log(
      `  profile ${file ?? '(none)'}; runs/s ${result.runsPerSecond}, p99 ${result.latenessMs.p99} ms, CPU ${result.cpuPercentTotal}%`,
    );
    if (cpu)
      ctx.log(
        `  top modules: ${cpu.byModule
          .slice(0, 5)
          .map((m) => `${m.name} ${m.percent}%`)
          .join(', ')}`,
      );
    if (redisSample)
      ctx.log(
        `  redis busy ${redisSample.redisBusyPercent}%: ${redisSample.commands
          .slice(0, 4)
          .map((c) => `${c.command} ${c.shareOfRedisTime}%`)
          .join(', ')}`,
      );
    return {
      params: p,
      profileFile: file,
      measurement: {
        runsPerSecond: result.runsPerSecond,
        missedRuns: result.missedRuns,
        latenessMs: result.latenessMs,
        cpuPercent: result.cpuPercentTotal,
        redisCpuPercent: result.redis?.cpuPercent,
        note: 'measured while profiling and sampling every Redis command (slower than scenario 3)',
      },
      cpu,
      redisSample,
      redisPerExecution: result.redis?.perExecution,
    };
  },
};
