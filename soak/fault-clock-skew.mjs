// Soak fault "clock-skew": an instance is replaced (SIGTERM) by one whose wall clock is 5 s or 20 s ahead or
// behind (tools/faults/clock-skew.mjs). Slots, heartbeats and silence checks follow Redis TIME, so nothing
// may change: no run starts before its slot (in real time: the soak's clock), none is missed or doubled.
import { leaderFailoverWindow, stopGracefully } from './graceful-stop.mjs';

const SKEWS = [5000, -5000, 20000, -20000];

async function run(soak, record) {
  const live = soak.live();
  const target = soak.random.pick(live.filter((i) => i.skewMs === 0)) ?? soak.random.pick(live);
  if (!target) return;
  await stopGracefully(soak, target, record);
  record.skewMs = soak.random.pick(SKEWS);
  const replacement = await soak.startInstance(target.slot, { skewMs: record.skewMs });
  record.restartedPid = replacement.pid;
}

function analyze(soak) {
  const faults = soak.faults.filter((f) => f.kind === 'clock-skew');
  const skewed = new Set(soak.instances.filter((i) => i.skewMs !== 0).map((i) => i.pid));
  // Every run, on any instance: a leader with a fast clock would have published them early.
  const early = soak.executions.filter((e) => e.start < e.slot - 100);
  return {
    count: faults.length,
    skews: faults.map((f) => f.skewMs),
    runsOnSkewedInstances: soak.executions.filter((e) => skewed.has(e.pid)).length,
    earlyStarts: early.length,
    failures: early.length > 0 ? [`${early.length} run(s) started before their slot (real time)`] : [],
  };
}

export const clockSkewFault = {
  run,
  windows: leaderFailoverWindow,
  analyze,
  describe: (a) =>
    `${a.count} (instances replaced by ones with clocks off by ${a.skews.map((s) => `${s / 1000} s`).join(', ') || '—'}; ` +
    `${a.runsOnSkewedInstances} runs on them; runs started before their slot: ${a.earlyStarts})`,
};
