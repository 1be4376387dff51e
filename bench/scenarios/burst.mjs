// Scenario 13: the aligned burst. `tasks` tasks on `0 * * * * *` (all due at second 0 of a minute), ours
// with 1 and 3 instances (`concurrentTasks` each), BullMQ with 1 and 3 worker processes (Worker
// `concurrency`), in the same run: time from the slot to the last handler start, p50 start, missed and
// duplicates, and the longest single Redis call during the burst (SLOWLOG + latency monitor). Each run
// waits for the next minute boundary after its start-up and a short warm-up.
import { measurePeriodic } from '../lib/periodic.mjs';
import { watchSlowCalls } from '../lib/slow-calls.mjs';
import { pick, summarize } from '../lib/stats.mjs';
import { scriptNames } from './profile.mjs';

/** The systems of the burst: `ours×1`, `ours×3`, `bullmq×1`, `bullmq×3` (for instances [1, 3]). */
function setups(p) {
  return p.systems.flatMap((system) =>
    p.instances.map((instances) => ({ key: `${system}×${instances}`, system, instances })),
  );
}

async function one(ctx, p, { system, instances }) {
  let stopWatch = null;
  const r = await measurePeriodic(ctx, {
    system,
    instances,
    tasks: p.tasks,
    concurrency: p.concurrency,
    cron: p.cron,
    periodS: p.periodS,
    warmupS: p.warmupS,
    windowS: p.windowS,
    graceMs: p.graceMs,
    maxGraceMs: p.maxGraceMs,
    // 200 ms before the slot: the slow-call logs start empty.
    onWindow: async () => {
      stopWatch = await watchSlowCalls(ctx.redis, { thresholdUs: p.slowlogThresholdUs });
    },
    onCollected: async () => ({ slowCalls: stopWatch ? await stopWatch(await scriptNames()) : null }),
  });
  return {
    system,
    instances,
    expectedRuns: r.expectedRuns,
    executedRuns: r.executedRuns,
    missedRuns: r.missedRuns,
    duplicateRuns: r.duplicateRuns,
    setupMs: r.setupMs,
    // Lateness of the window's runs: max = slot → last handler start.
    lastStartMs: r.latenessMs.max,
    p50StartMs: r.latenessMs.p50,
    p99StartMs: r.latenessMs.p99,
    processes: r.processes,
    cpuPercentTotal: r.cpuPercentTotal,
    otherCpuPercent: r.otherCpuPercent,
    redisCpuPercent: r.redis?.cpuPercent ?? null,
    commandsPerExecution: r.redis?.commandsPerExecution ?? null,
    cpuUsPerExecution: r.cpuUsPerExecution,
    slowCalls: r.extra?.slowCalls ?? null,
  };
}

export const burst = {
  id: 'burst',
  number: 13,
  title: 'Aligned burst: every task due at second 0 of a minute, 1 and 3 instances / workers',
  async run(ctx, p) {
    const runs = {};
    const list = setups(p);
    for (const s of list) runs[s.key] = [];
    for (let i = 0; i < p.runs; i++) {
      for (const s of list) {
        ctx.log(`  run ${i + 1}/${p.runs}: ${s.key}, ${p.tasks} tasks on ${p.cron} (waits for the slot)`);
        try {
          const r = await one(ctx, p, s);
          runs[s.key].push(r);
          ctx.log(
            `    last start ${r.lastStartMs} ms, p50 ${r.p50StartMs} ms, missed ${r.missedRuns}/${r.expectedRuns}, dup ${r.duplicateRuns}, longest Redis call ${r.slowCalls?.maxUsec ?? `< ${p.slowlogThresholdUs}`} µs (${r.slowCalls?.maxCommand ?? '—'}), latency monitor max ${r.slowCalls?.latencyMaxMs ?? '< 1'} ms, CPU ${r.cpuPercentTotal} % + Redis ${r.redisCpuPercent} % (others ${r.otherCpuPercent} %)`,
          );
        } catch (error) {
          ctx.log(`    failed: ${error.message.split('\n')[0]}`);
          runs[s.key].push({ error: error.message });
        }
      }
    }
    const summary = {};
    for (const s of list) {
      const ok = runs[s.key].filter((r) => !r.error);
      summary[s.key] = {
        system: s.system,
        instances: s.instances,
        lastStartMs: summarize(ok.map((r) => r.lastStartMs ?? NaN)),
        p50StartMs: summarize(ok.map((r) => r.p50StartMs ?? NaN)),
        missedRuns: summarize(ok.map((r) => r.missedRuns)),
        duplicateRuns: summarize(ok.map((r) => r.duplicateRuns)),
        // No call over the threshold: the longest is below it (counted as the threshold).
        longestCallUs: summarize(ok.map((r) => r.slowCalls?.maxUsec ?? p.slowlogThresholdUs)),
        latencyMaxMs: summarize(ok.map((r) => pick(r, 'slowCalls.latencyMaxMs'))),
        errors: runs[s.key].length - ok.length,
      };
    }
    return { params: p, summary, runs };
  },
};
