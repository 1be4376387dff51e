// Measures per-second tasks executed by one system: lateness (handler start - slot), runs/s, missed and
// duplicated slots, Redis commands per execution, CPU and memory of every process and of Redis.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { perExecutionCpu } from './per-execution.mjs';
import { WorkerProc, procCpuMicros, usageDelta } from './proc.mjs';
import { diff, snapshot, sumDiffs, topCommands } from './redis.mjs';
import { distribution, round } from './stats.mjs';

/** Sleeps until wall-clock time `t` (ms). */
export async function sleepUntil(t) {
  const wait = t - Date.now();
  if (wait > 0) await sleep(wait);
}

/**
 * Starts the processes of `system` with `tasks` tasks on `cron` (default every second), lets them warm up,
 * measures a window of whole seconds and tears everything down. With `periodS` (the cron's period, e.g. 60
 * for `0 * * * * *`) the window starts on a multiple of it, and holds ceil(windowS / periodS) slots.
 *
 * @param ctx the harness context (redis client, url, log)
 * @param {{ system: 'ours'|'bullmq'|'cron', tasks: number, instances?: number, concurrency: number,
 *           warmupS: number, windowS: number, graceMs: number, maxGraceMs?: number, execArgv?: string[],
 *           cron?: string, periodS?: number, options?: object, servers?: import('ioredis').Redis[],
 *           onStarted?: (info) => Promise<void>, onWindow?: (info) => Promise<void>,
 *           onCollected?: (info) => Promise<object> }} p
 *   `instances`: processes of ours, or BullMQ worker processes (the first also upserts the schedulers);
 *   `options`: extra TaskManagerModule options of ours (e.g. `partitions`, or `redis: { cluster: { nodes } }`,
 *   which replaces `ctx.redisUrl`);
 *   `servers`: harness clients of every Redis server the system uses (default `[ctx.redis]`; the masters of a
 *   Cluster): commands and CPU are their sums, and `redis.perServer` has each one's when there are several;
 *   `onStarted`: awaited once every process is ready, before the window is planned (e.g. until leases settle);
 *   `onCollected`: called once the window's runs are collected, before teardown; its result is `extra`.
 */
export async function measurePeriodic(ctx, p) {
  const { system, tasks, concurrency, warmupS, windowS, graceMs } = p;
  const instances = p.instances ?? 1;
  const cron = p.cron ?? '* * * * * *';
  const periodMs = (p.periodS ?? 1) * 1000;
  const prefix = await ctx.fresh(`${system}-${tasks}`);
  const servers = p.servers ?? [ctx.redis];
  const procs = [];
  const setupStart = Date.now();
  try {
    if (system === 'ours') {
      for (let i = 0; i < instances; i++) {
        procs.push(
          new WorkerProc(
            'ours',
            {
              redisUrl: ctx.redisUrl,
              prefix,
              tasks,
              cron,
              options: { concurrentTasks: concurrency, ...p.options },
            },
            { label: `ours#${i + 1}`, execArgv: p.execArgv },
          ),
        );
      }
      await Promise.all(procs.map((w) => w.ready()));
    } else if (system === 'bullmq') {
      for (let i = 0; i < instances; i++) {
        procs.push(
          new WorkerProc(
            'bullmq',
            { redisUrl: ctx.redisUrl, prefix, queue: 'bench', concurrency },
            { label: instances > 1 ? `bullmq#${i + 1}` : 'bullmq' },
          ),
        );
      }
      await Promise.all(procs.map((w) => w.ready()));
      await procs[0].request('upsert', { count: tasks, pattern: cron }, 300_000);
      await Promise.all(procs.map((w) => w.request('startWorker')));
    } else {
      const w = new WorkerProc('cron', { tasks, cron }, { label: 'cron' });
      procs.push(w);
      await w.ready();
    }
    const setupMs = Date.now() - setupStart;
    if (p.onStarted) await p.onStarted({ procs, prefix });
    // The stream's observer is connected before the window is planned, and reads from the warm-up on (publishes
    // before the window are filtered out by slot): connecting as the window began, a loaded machine missed the
    // publishes of a short window (their entries are deleted once their runs complete).
    const reader = p.observeStream && system === 'ours' ? await publishReader(ctx.redisUrl) : null;
    const windowStart = Math.ceil((Date.now() + warmupS * 1000) / periodMs) * periodMs;
    const windowEnd = windowStart + windowS * 1000;
    const expected = tasks * Math.ceil((windowS * 1000) / periodMs);
    const observer = reader ? observePublishes(reader, prefix, windowEnd) : null;
    // Snapshots 200 ms before the first and the last+1 burst: the interval holds exactly windowS bursts.
    await sleepUntil(windowStart - 200);
    const cpuA = machineCpu();
    const procCpuA = procs.map((w) => procCpuMicros(w.pid));
    const [snapsA, usageA] = await Promise.all([
      Promise.all(servers.map(snapshot)),
      Promise.all(procs.map((w) => w.usage())),
    ]);
    const snapA = snapsA[0];
    // The warm-up's executions are collected now and kept: those of the window's slots count (a loaded machine
    // can take more than the 200 ms above to get here, past the first slot: dropping them lost a burst's whole
    // slot, CI 2026-12-03); the others are left out by slot below.
    const collected = await Promise.all(procs.map((w) => w.request('collect')));
    if (p.onWindow) await p.onWindow({ procs, windowStart, windowEnd, prefix });
    await sleepUntil(windowEnd - 200);
    const cpuB = machineCpu();
    const procCpuB = procs.map((w) => procCpuMicros(w.pid));
    const [snapsB, usageB] = await Promise.all([
      Promise.all(servers.map(snapshot)),
      Promise.all(procs.map((w) => w.usage())),
    ]);
    const snapB = snapsB[0];
    // Late runs of the window's slots still count as executed (their lateness says how late): collect until
    // every expected run started, or none of the window's slots started for `graceMs` (at most `maxGraceMs`,
    // default 30 s).
    const inWindow = (c) => {
      let n = 0;
      for (let k = 0; k < c.slot.length; k++) if (c.slot[k] >= windowStart && c.slot[k] < windowEnd) n++;
      return n;
    };
    let seen = collected.reduce((a, c) => a + inWindow(c), 0);
    let lastGrowth = Date.now();
    const graceDeadline = Date.now() + (p.maxGraceMs ?? 30_000);
    for (;;) {
      await sleep(Math.min(graceMs, 500));
      const batch = await Promise.all(procs.map((w) => w.request('collect', {}, 120_000)));
      collected.push(...batch);
      const added = batch.reduce((a, c) => a + inWindow(c), 0);
      seen += added;
      if (added > 0) lastGrowth = Date.now();
      if (seen >= expected || Date.now() - lastGrowth >= graceMs || Date.now() >= graceDeadline) break;
    }
    const published = observer ? await observer : null;
    const extra = p.onCollected ? await p.onCollected({ procs, windowStart, windowEnd, prefix }) : undefined;

    // Executions: by slot for lateness / missed / duplicates, by start time for runs/s.
    const lateness = [];
    const perSlot = new Map();
    let executionsInInterval = 0;
    let total = 0;
    for (const c of collected) {
      for (let k = 0; k < c.idx.length; k++) {
        const slot = c.slot[k];
        const start = c.start[k];
        if (start >= snapA.t && start < snapB.t) executionsInInterval++;
        if (slot < windowStart || slot >= windowEnd) continue;
        total++;
        lateness.push(start - slot);
        let counts = perSlot.get(slot);
        if (!counts) perSlot.set(slot, (counts = new Uint8Array(tasks)));
        const i = c.idx[k];
        if (i >= 0 && i < tasks && counts[i] < 255) counts[i]++;
      }
    }
    let distinct = 0;
    for (const counts of perSlot.values()) for (const n of counts) if (n > 0) distinct++;
    const intervalS = (snapB.t - snapA.t) / 1000;
    const serverDiffs = system === 'cron' ? [] : servers.map((_, i) => diff(snapsA[i], snapsB[i]));
    const redis = system === 'cron' ? null : sumDiffs(serverDiffs);
    const processes = procs.map((w, i) => ({ label: w.label, ...usageDelta(usageA[i], usageB[i]) }));
    const machineBusy = cpuA && cpuB ? ((cpuB.busy - cpuA.busy) / ((cpuB.t - cpuA.t) / 1000)) * 100 : null;
    const perExecution = perExecutionCpu({
      processMicros: procs.map((w, i) =>
        procCpuA[i] === null || procCpuB[i] === null ? null : procCpuB[i] - procCpuA[i],
      ),
      redisCpuSeconds: redis ? redis.cpuSeconds : null,
      executions: executionsInInterval,
    });
    const ownCpu = processes.reduce((a, b) => a + b.cpuPercent, 0) + (redis ? redis.redisCpuPercent : 0);
    return {
      system,
      tasks,
      instances,
      concurrency,
      setupMs,
      windowS,
      expectedRuns: expected,
      executedRuns: distinct,
      missedRuns: expected - distinct,
      missedPercent: round(((expected - distinct) / expected) * 100, 3),
      duplicateRuns: total - distinct,
      runsPerSecond: round(executionsInInterval / intervalS, 1),
      latenessMs: distribution(lateness),
      // CPU µs per execution started in the window: the processes under test (/proc) and Redis (INFO).
      cpuUsPerExecution: {
        engine: perExecution.engineCpuUs,
        redis: system === 'cron' ? null : perExecution.redisCpuUs,
      },
      ...(published
        ? {
            publishLatenessMs: distribution(
              published.filter((x) => x.slot >= windowStart && x.slot < windowEnd).map((x) => x.at - x.slot),
            ),
          }
        : {}),
      processes,
      cpuPercentTotal: round(
        processes.reduce((a, b) => a + b.cpuPercent, 0),
        1,
      ),
      rssMBTotal: round(
        processes.reduce((a, b) => a + b.rssMB, 0),
        1,
      ),
      // Whole machine (100 % = one core) and what other processes (not the system under test, not its Redis)
      // used meanwhile: this machine is shared, so a busy neighbour shows here.
      machineCpuPercent: machineBusy === null ? null : round(machineBusy, 1),
      otherCpuPercent: machineBusy === null ? null : round(Math.max(0, machineBusy - ownCpu), 1),
      redis: redis && {
        commandsPerSecond: round(redis.commandsPerSecond, 1),
        commandsPerExecution: executionsInInterval > 0 ? round(redis.totalCommands / executionsInInterval, 2) : null,
        scriptCallsPerExecution: executionsInInterval > 0 ? round(redis.scriptCalls / executionsInInterval, 3) : null,
        cpuPercent: round(redis.redisCpuPercent, 1),
        usedMemoryMB: round(redis.usedMemory / 1048576, 2),
        executionsInInterval,
        perExecution: executionsInInterval > 0 ? topCommands(redis, 60, executionsInInterval, 'perExecution') : [],
        totalCommands: redis.totalCommands,
        ...(serverDiffs.length > 1
          ? {
              perServer: serverDiffs.map((d) => ({
                commands: d.totalCommands,
                commandsPerSecond: round(d.commandsPerSecond, 1),
                commandsShare: redis.totalCommands > 0 ? round(d.totalCommands / redis.totalCommands, 4) : null,
                cpuPercent: round(d.redisCpuPercent, 1),
                usedMemoryMB: round(d.usedMemory / 1048576, 2),
              })),
            }
          : {}),
      },
      ...(extra !== undefined ? { extra } : {}),
    };
  } finally {
    await Promise.all(procs.map((w) => w.stop()));
    await ctx.cleanup();
  }
}

/** A connection for {@link observePublishes}, connected. */
async function publishReader(url) {
  const reader = new Redis(url, { maxRetriesPerRequest: 1, connectionName: 'bench-observer' });
  reader.on('error', () => undefined);
  await reader.ping();
  return reader;
}

/**
 * Reads every run our leader publishes (a plain XREAD, outside the consumer group, so the engine is not
 * affected) until `until`: the entry id's milliseconds are the Redis time of the XADD, the `s` field is
 * the slot. Splits lateness into slot -> publish and publish -> handler start.
 */
async function observePublishes(reader, prefix, until) {
  const out = [];
  let last = '$';
  try {
    while (Date.now() < until) {
      // Blocks until the window ends (or an entry comes): a run's entry is deleted once it completes, so one
      // published while no read is blocked can be gone before the next read. Reads that time out every 200 ms
      // left such a gap five times a second, and on a loaded machine a smoke window's only burst fell in one.
      const blockMs = Math.max(1, until - Date.now());
      const reply = await reader.xread('COUNT', 100000, 'BLOCK', blockMs, 'STREAMS', `{${prefix}}:stream:normal`, last);
      if (!reply) continue;
      for (const [id, fields] of reply[0][1]) {
        last = id;
        const i = fields.indexOf('s');
        if (i >= 0) out.push({ at: Number(id.split('-')[0]), slot: Number(fields[i + 1]) });
      }
    }
  } finally {
    reader.disconnect();
  }
  return out;
}

/** CPU seconds the whole machine spent busy so far (all cores, from /proc/stat), or null off Linux. */
function machineCpu() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return { t: Date.now(), busy: (user + nice + system + irq + softirq + steal) / 100 };
  } catch {
    return null;
  }
}
