// Scenario 14: capacity. For 1, 2 and 3 instances of ours (and BullMQ with 1 worker), the highest number of
// per-second tasks (`* * * * * *`) sustained over a short window with 0 missed and lateness p99 ≤ `p99Ms`.
// Search: from `start`, multiply by `factor` while it holds (down by the same factor while it does not),
// then bisect between the highest that held and the lowest that did not, `refineSteps` times; each system
// gets `budgetS / systems` seconds at most (a probe is a full start, warm-up, window and teardown).
import { measurePeriodic } from '../lib/periodic.mjs';
import { round } from '../lib/stats.mjs';

/** A probe: `tasks` per-second tasks on the system; holds when none is missed and p99 ≤ p.p99Ms. */
async function probe(ctx, p, s, tasks) {
  try {
    const r = await measurePeriodic(ctx, {
      system: s.system,
      instances: s.instances,
      tasks,
      concurrency: p.concurrency,
      warmupS: p.warmupS,
      windowS: p.windowS,
      graceMs: p.graceMs,
      maxGraceMs: p.maxGraceMs,
    });
    const ok = r.missedRuns === 0 && r.latenessMs.p99 !== null && r.latenessMs.p99 <= p.p99Ms;
    return {
      tasks,
      ok,
      runsPerSecond: r.runsPerSecond,
      missedRuns: r.missedRuns,
      duplicateRuns: r.duplicateRuns,
      p50Ms: r.latenessMs.p50,
      p99Ms: r.latenessMs.p99,
      cpuPercent: r.processes.map((x) => x.cpuPercent),
      redisCpuPercent: r.redis?.cpuPercent ?? null,
      otherCpuPercent: r.otherCpuPercent,
    };
  } catch (error) {
    return { tasks, ok: false, error: error.message.split('\n')[0] };
  }
}

/** Rounds a task count to two significant digits (the search's resolution). */
const step = (n) => {
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(n)) - 1);
  return Math.max(1, Math.round(n / unit) * unit);
};

async function search(ctx, p, s, start, budgetMs) {
  const t0 = Date.now();
  const probes = [];
  let held = 0;
  let failed = null;
  const run = async (tasks) => {
    const r = await probe(ctx, p, s, tasks);
    probes.push(r);
    ctx.log(
      `    ${s.key} ${tasks}/s: ${r.ok ? 'holds' : 'fails'}${r.error ? ` (${r.error})` : `, missed ${r.missedRuns}, p99 ${r.p99Ms} ms, CPU ${r.cpuPercent.join('+')} % + Redis ${r.redisCpuPercent} % (others ${r.otherCpuPercent} %)`}`,
    );
    if (r.ok) held = Math.max(held, tasks);
    else failed = failed === null ? tasks : Math.min(failed, tasks);
    return r.ok;
  };
  const inBudget = () => Date.now() - t0 < budgetMs;
  // Coarse: up while it holds, down while it fails.
  let tasks = step(start);
  if (await run(tasks)) {
    while (inBudget() && tasks * p.factor <= p.maxTasks && (await run((tasks = step(tasks * p.factor)))));
  } else {
    while (inBudget() && tasks / p.factor >= p.minTasks && !(await run((tasks = step(tasks / p.factor)))));
  }
  // Refine between the highest that held and the lowest that failed.
  for (let i = 0; i < p.refineSteps && inBudget() && held > 0 && failed !== null; i++) {
    const mid = step((held + failed) / 2);
    if (mid <= held || mid >= failed) break;
    await run(mid);
  }
  return {
    key: s.key,
    system: s.system,
    instances: s.instances,
    sustained: held,
    firstFailed: failed,
    probes,
    seconds: round((Date.now() - t0) / 1000, 1),
  };
}

export const capacity = {
  id: 'capacity',
  number: 14,
  title: 'Capacity: highest per-second task count with 0 missed and p99 ≤ 250 ms, 1/2/3 instances',
  async run(ctx, p) {
    const budgetMs = (p.budgetS * 1000) / p.systems.length;
    const results = [];
    for (const s0 of p.systems) {
      const s = { ...s0, key: `${s0.system}×${s0.instances}` };
      // More instances of ours start from what fewer sustained.
      const previous = results.filter((r) => r.system === s.system && r.sustained > 0).at(-1);
      ctx.log(`  ${s.key}: search from ${previous?.sustained ?? p.start} tasks`);
      results.push(await search(ctx, p, s, previous?.sustained ?? p.start, budgetMs));
    }
    // Scaling: what the most instances of ours sustained ÷ what 1 instance sustained (issue 14: 3 / 1 ≥ 1.3).
    const ours = results.filter((r) => r.system === 'ours');
    const one = ours.find((r) => r.instances === 1)?.sustained;
    const most = ours.reduce((a, r) => (a && a.instances >= r.instances ? a : r), null);
    return {
      params: p,
      results,
      scaling: {
        instances: most?.instances ?? null,
        ratio: one > 0 && most && most.instances > 1 ? round(most.sustained / one, 2) : null,
      },
    };
  },
};
