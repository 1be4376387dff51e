// Scenario 5: Redis commands per execution, server side (INFO commandstats deltas: a script call counts
// as EVALSHA plus every command it runs), measured during scenarios 2 and 3 (or short runs of them when
// this scenario runs alone).
import { lateness, throughput } from './periodic.mjs';
import { summarize, round } from '../lib/stats.mjs';

/** Per-execution breakdown summed over every run of `system` (commands / executions). */
function breakdown(runs) {
  const totals = {};
  let executions = 0;
  let commands = 0;
  for (const r of runs) {
    if (r.error || !r.redis) continue;
    executions += r.redis.executionsInInterval;
    commands += r.redis.totalCommands;
    for (const c of r.redis.perExecution)
      totals[c.command] = (totals[c.command] ?? 0) + c.perExecution * r.redis.executionsInInterval;
  }
  if (executions === 0) return null;
  return {
    executions,
    commandsPerExecution: round(commands / executions, 2),
    perCommand: Object.entries(totals)
      .map(([command, calls]) => ({ command, perExecution: round(calls / executions, 3) }))
      .sort((a, b) => b.perExecution - a.perExecution),
  };
}

export const commands = {
  id: 'commands',
  number: 5,
  title: 'Redis commands per execution (server side, Lua inner calls included)',
  async run(ctx, p, all) {
    const sources = {};
    for (const [id, scenario] of [
      ['lateness', lateness],
      ['throughput', throughput],
    ]) {
      let result = ctx.results[id];
      if (!result || result.error) {
        ctx.log(`  (scenario ${id} not in this run: a short measurement of it)`);
        result = await scenario.run(ctx, { ...all[id], ...p.fallback[id] });
      }
      sources[id] = result;
    }
    const out = {};
    for (const [id, result] of Object.entries(sources)) {
      out[id] = { tasks: result.params.tasks };
      for (const system of ['ours', 'bullmq']) {
        const runs = result.runs[system] ?? [];
        out[id][system] = {
          commandsPerExecution: summarize(
            runs.filter((r) => !r.error).map((r) => r.redis?.commandsPerExecution ?? NaN),
          ),
          breakdown: breakdown(runs),
        };
      }
    }
    return out;
  },
};
