// Scenarios 2, 3 and 4: per-second tasks, aligned bursts (every task is due at the same second).
import { measurePeriodic } from '../lib/periodic.mjs';
import { summarize, pick } from '../lib/stats.mjs';

/** Runs `runs` measurements of each system, interleaved (A B C A B C ...) so drift hits all alike. */
async function interleaved(ctx, systems, p) {
  const runs = Object.fromEntries(systems.map((s) => [s, []]));
  for (let r = 0; r < p.runs; r++) {
    for (const system of systems) {
      ctx.log(
        `  run ${r + 1}/${p.runs}: ${system}, ${p.tasks} tasks${p.instances > 1 ? `, ${p.instances} instances` : ''}`,
      );
      try {
        const result = await measurePeriodic(ctx, {
          ...p,
          system,
          instances: system === 'ours' ? (p.instances ?? 1) : 1,
        });
        runs[system].push(result);
        ctx.log(
          `    runs/s ${result.runsPerSecond}, missed ${result.missedRuns}/${result.expectedRuns}, lateness p50 ${result.latenessMs.p50} p99 ${result.latenessMs.p99} ms` +
            (result.redis ? `, ${result.redis.commandsPerExecution} cmds/exec` : '') +
            `, CPU/exec ${result.cpuUsPerExecution.engine} µs + Redis ${result.cpuUsPerExecution.redis} µs` +
            `, CPU ${result.cpuPercentTotal}% (others on the machine ${result.otherCpuPercent}%)`,
        );
      } catch (error) {
        ctx.log(`    failed: ${error.message.split('\n')[0]}`);
        runs[system].push({ error: error.message });
      }
    }
  }
  const summary = {};
  for (const system of systems) {
    const ok = runs[system].filter((r) => !r.error);
    summary[system] = {
      runsPerSecond: summarize(ok.map((r) => r.runsPerSecond)),
      missedRuns: summarize(ok.map((r) => r.missedRuns)),
      missedPercent: summarize(ok.map((r) => r.missedPercent)),
      duplicateRuns: summarize(ok.map((r) => r.duplicateRuns)),
      latencyP50: summarize(ok.map((r) => pick(r, 'latenessMs.p50'))),
      latencyP99: summarize(ok.map((r) => pick(r, 'latenessMs.p99'))),
      latencyMax: summarize(ok.map((r) => pick(r, 'latenessMs.max'))),
      cpuPercentTotal: summarize(ok.map((r) => r.cpuPercentTotal)),
      otherCpuPercent: summarize(ok.map((r) => r.otherCpuPercent ?? NaN)),
      rssMBTotal: summarize(ok.map((r) => r.rssMBTotal)),
      commandsPerExecution: summarize(ok.map((r) => pick(r, 'redis.commandsPerExecution'))),
      redisCpuPercent: summarize(ok.map((r) => pick(r, 'redis.cpuPercent'))),
      engineCpuUsPerExecution: summarize(ok.map((r) => pick(r, 'cpuUsPerExecution.engine'))),
      redisCpuUsPerExecution: summarize(ok.map((r) => pick(r, 'cpuUsPerExecution.redis'))),
      redisUsedMemoryMB: summarize(ok.map((r) => pick(r, 'redis.usedMemoryMB'))),
      errors: runs[system].filter((r) => r.error).length,
    };
  }
  return { params: p, summary, runs };
}

export const lateness = {
  id: 'lateness',
  number: 2,
  title: 'Lateness (handler start - slot), per-second tasks, aligned bursts',
  run: (ctx, p) => interleaved(ctx, ['ours', 'bullmq', 'cron'], p),
};

export const throughput = {
  id: 'throughput',
  number: 3,
  title: 'Per-second tasks on 1 instance: runs/s, missed slots, lateness',
  run: (ctx, p) => interleaved(ctx, ['ours', 'bullmq'], p),
};

export const cluster = {
  id: 'cluster',
  number: 4,
  title: 'Per-second tasks on several instances (ours only)',
  run: (ctx, p) => interleaved(ctx, ['ours'], p),
};
