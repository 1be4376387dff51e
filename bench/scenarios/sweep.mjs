// Optional (not part of `all`): scenario 3's load at several consumer concurrencies, one run each, to show
// how sensitive each system is to it (the value used by scenarios 3 and 4 is in bench/lib/params.mjs).
import { measurePeriodic } from '../lib/periodic.mjs';

export const sweep = {
  id: 'sweep',
  number: 12,
  optional: true,
  title: 'Concurrency sweep of the scenario-3 load (optional)',
  async run(ctx, p) {
    const out = { params: p, runs: [] };
    for (const system of p.systems) {
      for (const concurrency of p.concurrency) {
        try {
          const r = await measurePeriodic(ctx, {
            system,
            tasks: p.tasks,
            concurrency,
            warmupS: p.warmupS,
            windowS: p.windowS,
            graceMs: p.graceMs,
          });
          ctx.log(
            `  ${system} concurrency ${concurrency}: ${r.runsPerSecond} runs/s, ${r.missedPercent} % missed, p50 ${r.latenessMs.p50} p99 ${r.latenessMs.p99} ms, CPU ${r.cpuPercentTotal} %, Redis CPU ${r.redis?.cpuPercent} %`,
          );
          out.runs.push({
            system,
            concurrency,
            runsPerSecond: r.runsPerSecond,
            missedPercent: r.missedPercent,
            latenessMs: r.latenessMs,
            cpuPercent: r.cpuPercentTotal,
            redisCpuPercent: r.redis?.cpuPercent ?? null,
            commandsPerExecution: r.redis?.commandsPerExecution ?? null,
          });
        } catch (error) {
          ctx.log(`  ${system} concurrency ${concurrency} failed: ${error.message.split('\n')[0]}`);
          out.runs.push({ system, concurrency, error: error.message });
        }
      }
    }
    return out;
  },
};
