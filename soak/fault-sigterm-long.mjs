// Soak fault "sigterm-long": a graceful stop (SIGTERM, as in a rolling deploy) of an instance running a long
// run, with a shutdown timeout (3 s) much shorter than the run (15–25 s). The run is aborted and handed back
// at once: another instance must run its slot again (an allowParallel=false task must not stay blocked). The
// instance is replaced.
import { leaderFailoverWindow, stopGracefully } from './graceful-stop.mjs';

async function run(soak, record) {
  const busy = soak.executions.filter((e) => e.end === undefined && soak.mix.tasks.get(e.task)?.category === 'long');
  const live = soak.live();
  const target = live.find((i) => busy.some((e) => e.pid === i.pid)) ?? soak.random.pick(live);
  if (!target) return;
  record.inFlight = busy
    .filter((e) => e.pid === target.pid)
    .map(({ task, slot, attempt }) => ({ task, slot, attempt }));
  await stopGracefully(soak, target, record);
  await soak.startInstance(target.slot);
}

/**
 * A long run in flight at the SIGTERM either ends within the shutdown timeout (recorded there: nothing to
 * re-run) or is aborted and handed back: then another instance must run its slot again.
 */
function analyze(soak) {
  const faults = soak.faults.filter((f) => f.kind === 'sigterm-long');
  const handedBack = [];
  const notReRun = [];
  let finishedInTime = 0;
  for (const f of faults) {
    for (const a of f.inFlight ?? []) {
      const same = (e) => e.task === a.task && e.slot === a.slot && e.attempt === a.attempt;
      const own = soak.executions.find((e) => same(e) && e.pid === f.pid);
      if (own?.end !== undefined && !own.aborted) {
        finishedInTime++;
        continue;
      }
      const rerun = soak.executions.find((e) => same(e) && e.pid !== f.pid && e.start >= f.at);
      if (rerun) handedBack.push(rerun.start - f.at);
      else notReRun.push({ fault: f.n, ...a });
    }
  }
  return {
    count: faults.length,
    longRunsInFlight: finishedInTime + handedBack.length + notReRun.length,
    finishedInTime,
    longRunsAborted: handedBack.length + notReRun.length,
    reRun: handedBack.length,
    maxReRunAfterMs: handedBack.length > 0 ? Math.max(...handedBack) : null,
    maxExitMs: Math.max(0, ...faults.map((f) => f.exitMs ?? 0)),
    notReRun,
    failures: notReRun.length > 0 ? [`${notReRun.length} long run(s) aborted by a SIGTERM never ran again`] : [],
  };
}

export const sigtermLongFault = {
  run,
  windows: leaderFailoverWindow,
  analyze,
  describe: (a) =>
    `${a.count} (graceful stops during long runs: ${a.longRunsInFlight} in flight, ${a.finishedInTime} finished ` +
    `within the shutdown timeout, ${a.longRunsAborted} aborted, re-run elsewhere ${a.reRun}, ` +
    `at most ${a.maxReRunAfterMs ?? '—'} ms after the SIGTERM; exit within ${a.maxExitMs} ms)`,
};
