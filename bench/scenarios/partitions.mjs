// Scenario 15: partitions (issue 15). On a private local Redis Cluster of 3 masters, 3 instances of ours with
// `partitions: 1` and with `partitions: 6` (interleaved, `runs` each), under the same fixed per-second load:
// runs/s, missed and duplicate runs, lateness, each master's share of the window's commands and its CPU, each
// process's CPU, and the partition leases per instance (each partition's leader key) at the end. Then, per
// partition count, the idle cost of the same deployment (tasks registered, none due). Checks the issue's
// acceptance: at P = 6 each master serves 33 ± 10 % of the commands, the leases are spread 2/2/2, and the runs
// delivered per second are at least those of P = 1.
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterToolsMissing, startBenchCluster } from '../lib/cluster.mjs';
import { measurePeriodic } from '../lib/periodic.mjs';
import { WorkerProc, usageDelta } from '../lib/proc.mjs';
import { diff, snapshot, sumDiffs, topCommands } from '../lib/redis.mjs';
import { pick, round, summarize } from '../lib/stats.mjs';

/** The deployment's key layout (the built library's, as the workers use it). */
async function keysOf(prefix, partitions) {
  const { TaskManagerKeys } = await import('nestjs-task-manager/testing');
  return new TaskManagerKeys(prefix, partitions);
}

/** Every partition's leader key, and the deployment-wide workers key (on its own tag). */
async function layout(prefix, partitions) {
  const keys = await keysOf(prefix, partitions);
  return {
    leaders: Array.from({ length: partitions }, (_, i) => keys.partition(i).leader),
    deploymentWide: keys.workers,
  };
}

/**
 * Who holds each partition's lease (the store's word: the leader key's `<workerId>|<epoch>`), as instance
 * labels, and how many each instance holds.
 */
async function readLeases(cctx, procs, leaderKeys) {
  const labelOf = new Map(procs.map((w) => [w.events.find((e) => e.type === 'ready')?.worker, w.label]));
  const values = await cctx.getAll(leaderKeys);
  const byPartition = values.map((v) => (v === null ? null : (labelOf.get(v.split('|')[0]) ?? 'unknown')));
  const perInstance = Object.fromEntries(procs.map((w) => [w.label, byPartition.filter((l) => l === w.label).length]));
  return { byPartition, perInstance };
}

/** Whether every partition is led by one of `procs` and none leads more than ⌈P / instances⌉. */
const spread = (leases, procs) =>
  leases.byPartition.every((l) => l !== null && l !== 'unknown') &&
  Math.max(...Object.values(leases.perInstance)) <= Math.ceil(leases.byPartition.length / procs.length);

/** Waits (up to `timeoutS`) until the leases are spread; returns how long it took (null: not spread in time). */
async function waitForSpread(cctx, procs, leaderKeys, timeoutS) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutS * 1000) {
    if (spread(await readLeases(cctx, procs, leaderKeys), procs)) return Date.now() - t0;
    await sleep(200);
  }
  return null;
}

/** Which master holds each partition (by its leader key's slot) and the deployment-wide keys. */
async function placement(cctx, keys) {
  const [wide, ...owners] = await cctx.mastersOf([keys.deploymentWide, ...keys.leaders]);
  return {
    partitionsPerMaster: cctx.masters.map((_, m) => owners.filter((o) => o === m).length),
    deploymentWideMaster: wide,
  };
}

/** One loaded measurement: `p.instances` instances with `partitions` partitions under `p.tasks` per-second tasks. */
async function measureLoaded(cctx, p, partitions) {
  let leaderKeys;
  let startInfo;
  const r = await measurePeriodic(cctx, {
    system: 'ours',
    instances: p.instances,
    tasks: p.tasks,
    concurrency: p.concurrency,
    warmupS: p.warmupS,
    windowS: p.windowS,
    graceMs: p.graceMs,
    options: { ...p.options, partitions, redis: { cluster: { nodes: cctx.nodes } } },
    servers: cctx.masters,
    onStarted: async ({ procs, prefix }) => {
      leaderKeys = (await layout(prefix, partitions)).leaders;
      const spreadMs = await waitForSpread(cctx, procs, leaderKeys, p.spreadTimeoutS);
      startInfo = { spreadMs, leasesAtStart: (await readLeases(cctx, procs, leaderKeys)).perInstance };
    },
    // After the window (the harness's reads are outside it): leases, placement, connections.
    onCollected: async ({ procs, prefix }) => ({
      ...startInfo,
      leasesAtEnd: await readLeases(cctx, procs, leaderKeys),
      placement: await placement(cctx, await layout(prefix, partitions)),
      clientsPerMaster: await cctx.clientsByName(),
    }),
  });
  // Runs of the window's slots started, per second of the window (the load when none is missed).
  return { ...r, partitions, deliveredPerSecond: round(r.executedRuns / r.windowS, 1) };
}

/** The idle cost of the same deployment: tasks registered (none due), commands and CPU per master. */
async function measureIdle(cctx, p, partitions) {
  const prefix = await cctx.fresh(`idle-p${partitions}`);
  const procs = [];
  try {
    for (let i = 0; i < p.instances; i++) {
      const config = {
        prefix,
        tasks: p.idle.tasks,
        cron: '0 0 1 1 *',
        options: { ...p.idle.options, partitions, redis: { cluster: { nodes: cctx.nodes } } },
      };
      procs.push(new WorkerProc('ours', config, { label: `ours#${i + 1}` }));
    }
    await Promise.all(procs.map((w) => w.ready(300_000)));
    const leaderKeys = (await layout(prefix, partitions)).leaders;
    const spreadMs = await waitForSpread(cctx, procs, leaderKeys, p.spreadTimeoutS);
    await sleep(p.idle.warmupS * 1000);
    const [a, ua] = await Promise.all([
      Promise.all(cctx.masters.map(snapshot)),
      Promise.all(procs.map((w) => w.usage())),
    ]);
    await sleep(p.idle.windowS * 1000);
    const [b, ub] = await Promise.all([
      Promise.all(cctx.masters.map(snapshot)),
      Promise.all(procs.map((w) => w.usage())),
    ]);
    const perMaster = cctx.masters.map((_, m) => diff(a[m], b[m]));
    const total = sumDiffs(perMaster);
    return {
      partitions,
      tasks: p.idle.tasks,
      spreadMs,
      windowS: round(total.seconds, 2),
      commandsPerSecond: round(total.commandsPerSecond, 2),
      perCommand: topCommands(total, 16),
      perMaster: perMaster.map((d) => ({
        commandsPerSecond: round(d.commandsPerSecond, 2),
        cpuPercent: round(d.redisCpuPercent, 2),
      })),
      redisCpuPercent: round(total.redisCpuPercent, 2),
      processes: procs.map((w, i) => ({ label: w.label, ...usageDelta(ua[i], ub[i]) })),
      leases: (await readLeases(cctx, procs, leaderKeys)).perInstance,
      clientsPerMaster: await cctx.clientsByName(),
    };
  } finally {
    await Promise.all(procs.map((w) => w.stop()));
    await cctx.cleanup();
  }
}

/** Medians (with min–max) of each figure over the runs of one partition count. */
function summarizeRuns(runs, masters) {
  const ok = runs.filter((r) => !r.error);
  const field = (path) => summarize(ok.map((r) => pick(r, path)));
  return {
    runsPerSecond: field('runsPerSecond'),
    deliveredPerSecond: field('deliveredPerSecond'),
    missedRuns: field('missedRuns'),
    duplicateRuns: field('duplicateRuns'),
    latencyP50: field('latenessMs.p50'),
    latencyP99: field('latenessMs.p99'),
    cpuPercentTotal: field('cpuPercentTotal'),
    otherCpuPercent: summarize(ok.map((r) => r.otherCpuPercent ?? NaN)),
    redisCpuPercent: field('redis.cpuPercent'),
    commandsPerExecution: field('redis.commandsPerExecution'),
    engineCpuUsPerExecution: field('cpuUsPerExecution.engine'),
    redisCpuUsPerExecution: field('cpuUsPerExecution.redis'),
    // Per master, in the order of the cluster's nodes; the busiest of each run.
    masterCommandsShare: Array.from({ length: masters }, (_, m) =>
      summarize(ok.map((r) => r.redis.perServer?.[m]?.commandsShare ?? NaN)),
    ),
    masterCpuPercent: Array.from({ length: masters }, (_, m) =>
      summarize(ok.map((r) => r.redis.perServer?.[m]?.cpuPercent ?? NaN)),
    ),
    busiestMasterCommandsPerSecond: summarize(
      ok.map((r) => Math.max(...(r.redis.perServer ?? []).map((s) => s.commandsPerSecond))),
    ),
    busiestMasterCommandsShare: summarize(
      ok.map((r) => Math.max(...(r.redis.perServer ?? []).map((s) => s.commandsShare))),
    ),
    busiestMasterCpuPercent: summarize(ok.map((r) => Math.max(...(r.redis.perServer ?? []).map((s) => s.cpuPercent)))),
    busiestProcessCpuPercent: summarize(ok.map((r) => Math.max(...r.processes.map((x) => x.cpuPercent)))),
    errors: runs.length - ok.length,
  };
}

/**
 * The issue's acceptance at the highest partition count, against the lowest: each master's share of the
 * commands within 1/masters ± `sharePoints` points (33 ± 10 % with 3 masters), the leases spread evenly
 * (2/2/2), and the runs delivered per second at least those of the lowest count. Each check: its value, its
 * target, and whether it passed (null when nothing was measured).
 */
function acceptance(p, byPartitions) {
  const [low, high] = [Math.min(...p.partitions), Math.max(...p.partitions)];
  const runs = (byPartitions[high]?.runs ?? []).filter((r) => !r.error);
  const expectedShare = 1 / p.masters;
  const shares = runs.map((r) => (r.redis.perServer ?? []).map((s) => round(100 * s.commandsShare, 1)));
  const worstPoints = shares.length ? Math.max(...shares.flat().map((s) => Math.abs(s - 100 * expectedShare))) : null;
  const ideal = Array.from(
    { length: p.instances },
    (_, i) => Math.floor(high / p.instances) + (i < high % p.instances ? 1 : 0),
  );
  const leases = runs.map((r) => Object.values(r.extra?.leasesAtEnd?.perInstance ?? {}).sort((a, b) => b - a));
  const delivered = (n) => byPartitions[n]?.summary.deliveredPerSecond.median ?? null;
  const lowRate = delivered(low);
  const highRate = delivered(high);
  return {
    commandShare: {
      target: `each of the ${p.masters} masters serves ${round(100 * expectedShare, 1)} % ± ${p.sharePoints} points of the window's commands at P = ${high}`,
      expected: { percent: round(100 * expectedShare, 1), points: p.sharePoints },
      value: shares,
      worstDeviationPoints: worstPoints === null ? null : round(worstPoints, 1),
      pass: shares.length > 0 && shares.every((s) => s.length === p.masters) ? worstPoints <= p.sharePoints : null,
    },
    leases: {
      target: `the ${high} leases spread ${ideal.join('/')} over the ${p.instances} instances at the end of each P = ${high} run`,
      expected: ideal.join('/'),
      value: leases.map((l) => l.join('/')),
      pass: leases.length ? leases.every((l) => l.join('/') === ideal.join('/')) : null,
    },
    throughput: {
      target: `runs delivered per second (the window's runs started ÷ window) at P = ${high} ≥ at P = ${low} (medians)`,
      value: { [low]: lowRate, [high]: highRate },
      pass: lowRate === null || highRate === null ? null : highRate >= lowRate,
    },
  };
}

export const partitions = {
  id: 'partitions',
  number: 15,
  title: 'Partitions on a local 3-master Redis Cluster: 3 instances, partitions 1 and 6, the same load',
  async run(ctx, p) {
    const missing = clusterToolsMissing();
    if (missing) {
      ctx.log(`  skipped: ${missing}`);
      return { params: p, skipped: missing };
    }
    const cctx = await startBenchCluster(ctx, p.masters);
    try {
      ctx.log(`  Redis Cluster of ${p.masters} masters on ports ${cctx.nodes.map((n) => n.port).join(', ')}`);
      const byPartitions = Object.fromEntries(p.partitions.map((n) => [n, { runs: [] }]));
      for (let r = 0; r < p.runs; r++) {
        for (const n of p.partitions) {
          ctx.log(`  run ${r + 1}/${p.runs}: partitions ${n}, ${p.instances} instances, ${p.tasks} per-second tasks`);
          try {
            const m = await measureLoaded(cctx, p, n);
            byPartitions[n].runs.push(m);
            ctx.log(
              `    runs/s ${m.runsPerSecond} (delivered ${m.deliveredPerSecond}), missed ${m.missedRuns}/${m.expectedRuns}, dup. ${m.duplicateRuns}, p50 ${m.latenessMs.p50} p99 ${m.latenessMs.p99} ms` +
                `, master shares ${(m.redis.perServer ?? []).map((s) => `${round(100 * s.commandsShare, 1)} %`).join(' / ')}` +
                `, leases ${Object.values(m.extra.leasesAtEnd.perInstance).join('/')} (spread after ${m.extra.spreadMs ?? '—'} ms)` +
                `, CPU ${m.processes.map((x) => x.cpuPercent).join('+')} % + Redis ${(m.redis.perServer ?? []).map((s) => s.cpuPercent).join('+')} % (others ${m.otherCpuPercent} %)`,
            );
          } catch (error) {
            ctx.log(`    failed: ${error.message.split('\n')[0]}`);
            byPartitions[n].runs.push({ partitions: n, error: error.message });
          }
        }
      }
      for (const n of p.partitions) byPartitions[n].summary = summarizeRuns(byPartitions[n].runs, p.masters);
      if (p.idle) {
        for (const n of p.partitions) {
          ctx.log(
            `  idle, partitions ${n}: ${p.idle.tasks} tasks, warm-up ${p.idle.warmupS} s, window ${p.idle.windowS} s`,
          );
          try {
            byPartitions[n].idle = await measureIdle(cctx, p, n);
            const i = byPartitions[n].idle;
            ctx.log(
              `    ${i.commandsPerSecond} cmds/s (per master ${i.perMaster.map((x) => x.commandsPerSecond).join(' / ')})`,
            );
          } catch (error) {
            ctx.log(`    failed: ${error.message.split('\n')[0]}`);
            byPartitions[n].idle = { partitions: n, error: error.message };
          }
        }
      }
      return {
        params: p,
        cluster: { masters: p.masters, ports: cctx.nodes.map((n) => n.port) },
        byPartitions,
        checks: acceptance(p, byPartitions),
      };
    } finally {
      await cctx.stop();
    }
  },
};
