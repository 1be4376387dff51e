// Sections of the soak report that read the run's records directly (no slot accounting).
import { acquisitionsOf } from '../leadership.mjs';
import { maxOf, mb, round } from './numbers.mjs';

/** The task mix and the dynamic tasks created, deleted or wiped. */
export function tasksSection(soak) {
  const tasks = [...soak.mix.tasks.values()];
  const dynamic = [...soak.dynamic.values()];
  return {
    static: soak.mix.tasks.size,
    byCategory: tasks.reduce((acc, t) => ({ ...acc, [t.category]: (acc[t.category] ?? 0) + 1 }), {}),
    highPriority: tasks.filter((t) => t.highPriority).length,
    dynamicCreated: soak.dynamic.size,
    dynamicDeleted: dynamic.filter((d) => d.deletedAt !== undefined).length,
    dynamicWiped: dynamic.filter((d) => d.wipedAt !== undefined).length,
    dynamicPropagationMaxMs: maxOf(dynamic.map((d) => d.propagationMs).filter((v) => v !== undefined)),
  };
}

/**
 * Leader acquisitions (of a partition's lease: several per instance with several partitions), leader changes
 * (the acquisitions after each partition's first), failover times, frozen leaders that resumed.
 */
export function leadershipSection(soak) {
  const acquisitions = acquisitionsOf(soak.leaderEvents);
  const leaderFaults = soak.faults.filter(
    (f) => f.failoverMs !== undefined && f.failoverMs !== null && f.kind !== 'redis-restart',
  );
  return {
    acquisitions: acquisitions.length,
    leaderChanges: Math.max(0, acquisitions.length - new Set(acquisitions.map((a) => a.partition)).size),
    maxFailoverMs: maxOf(leaderFaults.map((f) => f.failoverMs)),
    failoversMs: leaderFaults.map((f) => f.failoverMs),
    maxLeaderlessAfterRedisRestartMs: maxOf(
      soak.faults.filter((f) => f.kind === 'redis-restart' && f.newLeaderAt).map((f) => f.newLeaderAt - f.upAt),
    ),
    frozenLeadersStillClaiming: soak.faults.filter((f) => f.stillClaimsLeadership).length,
    maxStepDownAfterResumeMs: maxOf(
      soak.faults.filter((f) => f.steppedDownMs !== undefined && f.steppedDownMs !== null).map((f) => f.steppedDownMs),
    ),
  };
}

/** Resident memory of each instance after its warm-up, and Redis's memory over the window. */
export function memorySection(soak) {
  const s = soak.settings;
  const instances = soak.instances.map((i) => {
    const warm = i.rss.filter((r) => r.t >= (i.readyAt ?? i.startedAt) + Math.min(s.warmupMs, 15000));
    const series = warm.length > 0 ? warm : i.rss;
    return {
      pid: i.pid,
      slot: i.slot,
      lifetimeS: round(((i.exitedAt ?? Date.now()) - i.startedAt) / 1000),
      killed: i.killedAt !== undefined,
      startRssMb: mb(series[0]?.rss),
      endRssMb: mb(series.at(-1)?.rss),
      maxRssMb: mb(Math.max(0, ...series.map((r) => r.rss))),
      samples: series.length,
    };
  });
  const warmRedis = soak.redisMemory.filter((m) => m.t >= soak.analysisFrom);
  const redisSeries = warmRedis.length > 0 ? warmRedis : soak.redisMemory;
  return {
    instances,
    redisStartMb: mb(redisSeries[0]?.used),
    redisEndMb: mb(soak.final?.usedMemory ?? redisSeries.at(-1)?.used),
    redisMaxMb: mb(Math.max(0, ...redisSeries.map((m) => m.used))),
  };
}

/** Processes started, crashes, error and warning log lines (error lines grouped by kind). */
export function processesSection(soak) {
  const errorLines = soak.instances.flatMap((i) => i.errorLines);
  const errorKinds = {};
  for (const line of errorLines) {
    const kind = line.replace(/\d+/g, 'N').slice(0, 160);
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  }
  return {
    started: soak.instances.length,
    crashes: soak.crashes,
    unhandledRejections: soak.unhandled,
    shutdown: soak.shutdown,
    errorLogLines: errorLines.length,
    errorKinds,
    warnLogLines: soak.instances.reduce((n, i) => n + i.warnLines, 0),
  };
}

/** The faults injected, by kind, each with the number of tasks whose slots it cost. */
export function faultsSection(soak) {
  const byKind = {};
  for (const f of soak.faults) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
  return {
    total: soak.faults.length,
    byKind,
    list: soak.faults.map(({ missedTasks, ...f }) => ({
      ...f,
      missedTasks: missedTasks ? missedTasks.size : undefined,
    })),
  };
}

/** Diagnostics: what the instances logged around each duplicate and the first unexplained misses. */
export function attachLogs(soak, duplicates, missedDetail) {
  const logsAround = (from, to, pids) =>
    soak.instances
      .filter((i) => !pids || pids.includes(i.pid))
      .flatMap((i) => i.logLines.filter((l) => l.t >= from && l.t <= to).map((l) => ({ pid: i.pid, ...l })))
      .filter((l) => !/planned failure/.test(l.text))
      .sort((a, b) => a.t - b.t)
      .slice(0, 40);
  for (const d of duplicates) {
    const starts = d.executions.map((e) => e.start);
    d.logs = logsAround(Math.min(...starts) - 5000, Math.max(...d.executions.map((e) => e.end ?? e.start)) + 1000);
  }
  const unexplained = missedDetail.filter((m) => m.cause === 'unexplained');
  for (const m of unexplained.slice(0, 10)) m.logs = logsAround(m.slot - 3000, m.slot + 10000);
}
