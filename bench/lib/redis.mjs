// A private redis-server for the benchmarks, and readers of INFO (commandstats, cpu, memory).
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { findOnPath, startRedisServer } from '../../tools/redis-server.mjs';

/** Version of the redis-server binary on PATH, or null when there is none. */
export function redisServerVersion() {
  try {
    const out = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
    return /v=([\d.]+)/.exec(out)?.[1] ?? out.trim();
  } catch {
    return null;
  }
}

/**
 * Starts a private, non-persistent `redis-server` (the one on PATH) on a free port and waits until it answers
 * (tools/redis-server.mjs, shared with the tests and the soak).
 * @returns {Promise<{ url: string, port: number, pid: number | undefined, stop(): Promise<void> }>}
 */
export function startPrivateRedis() {
  return startRedisServer({ binary: findOnPath('redis-server') ?? 'redis-server' });
}

/** A plain client for the harness (never used by the systems under test). */
export function harnessClient(url) {
  const client = new Redis(url, { maxRetriesPerRequest: 3, connectionName: 'bench-harness' });
  client.on('error', () => undefined);
  return client;
}

/** Parses an INFO section into `{ field: value }` (numbers when numeric). */
export function parseInfo(text) {
  const out = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i < 0) continue;
    const key = line.slice(0, i);
    const value = line.slice(i + 1);
    out[key] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return out;
}

/** `{ command: { calls, usec } }` from INFO commandstats. */
export async function commandStats(client) {
  const text = await client.info('commandstats');
  const stats = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (m) stats[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  }
  return stats;
}

/** Commands the harness itself sends while measuring; excluded from the counts. */
const HARNESS_COMMANDS = new Set([
  'info',
  'config|resetstat',
  'config|set',
  'config|get',
  'slowlog|get',
  'slowlog|reset',
  'slowlog|len',
  'ping',
  'client|setname',
  'client|list',
  'xread',
]);

/**
 * Snapshot of the server: commandstats, CPU seconds (user + sys, main thread and children) and memory.
 */
export async function snapshot(client) {
  const [cmd, cpuText, memText] = await Promise.all([commandStats(client), client.info('cpu'), client.info('memory')]);
  const cpu = parseInfo(cpuText);
  const mem = parseInfo(memText);
  return {
    t: Date.now(),
    commands: cmd,
    cpuSeconds: (cpu.used_cpu_user ?? 0) + (cpu.used_cpu_sys ?? 0),
    usedMemory: mem.used_memory,
    usedMemoryDataset: mem.used_memory_dataset,
    usedMemoryScripts: mem.used_memory_scripts ?? mem.used_memory_lua ?? null,
  };
}

/**
 * Difference of two snapshots: commands (total and per command, harness commands excluded), server CPU
 * and memory at the end.
 */
export function diff(before, after) {
  const perCommand = {};
  let total = 0;
  let scriptCalls = 0;
  for (const [name, s] of Object.entries(after.commands)) {
    if (HARNESS_COMMANDS.has(name)) continue;
    const b = before.commands[name] ?? { calls: 0, usec: 0 };
    const calls = s.calls - b.calls;
    if (calls <= 0) continue;
    perCommand[name] = { calls, usec: s.usec - b.usec };
    total += calls;
    if (name === 'evalsha' || name === 'eval' || name === 'fcall') scriptCalls += calls;
  }
  const seconds = (after.t - before.t) / 1000;
  return {
    seconds,
    totalCommands: total,
    scriptCalls,
    commandsPerSecond: total / seconds,
    perCommand,
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
    redisCpuPercent: ((after.cpuSeconds - before.cpuSeconds) / seconds) * 100,
    usedMemory: after.usedMemory,
    usedMemoryDataset: after.usedMemoryDataset,
  };
}

/** The top `n` commands of a diff by calls: `[{ command, calls, perSecond, usec }]`. */
export function topCommands(d, n = 12, divisor = d.seconds, unit = 'perSecond') {
  return Object.entries(d.perCommand)
    .sort((a, b) => b[1].calls - a[1].calls)
    .slice(0, n)
    .map(([command, s]) => ({
      command,
      calls: s.calls,
      [unit]: Math.round((s.calls / divisor) * 1000) / 1000,
      usec: s.usec,
    }));
}

/**
 * The sum of the diffs of several servers over the same interval (the masters of a Redis Cluster): commands
 * and CPU add up (CPU % above 100 when several masters are busy), memory at the end is the total.
 */
export function sumDiffs(diffs) {
  if (diffs.length === 1) return diffs[0];
  const perCommand = {};
  for (const d of diffs) {
    for (const [name, s] of Object.entries(d.perCommand)) {
      const t = (perCommand[name] ??= { calls: 0, usec: 0 });
      t.calls += s.calls;
      t.usec += s.usec;
    }
  }
  const sum = (field) => diffs.reduce((a, d) => a + d[field], 0);
  const seconds = diffs[0].seconds;
  return {
    seconds,
    totalCommands: sum('totalCommands'),
    scriptCalls: sum('scriptCalls'),
    commandsPerSecond: sum('totalCommands') / seconds,
    perCommand,
    cpuSeconds: sum('cpuSeconds'),
    redisCpuPercent: (sum('cpuSeconds') / seconds) * 100,
    usedMemory: sum('usedMemory'),
    usedMemoryDataset: sum('usedMemoryDataset'),
  };
}
