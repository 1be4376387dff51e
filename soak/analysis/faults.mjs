// What the injected faults cost and explain: killed runs recovered, wipes recovered, explanation windows.
import { EXTRA_FAULTS } from '../extra-faults.mjs';
import { completed } from './executions.mjs';
import { isWipe } from '../wipes.mjs';

/** Start times of the wipes (FLUSHALL, Redis restarts). */
export const wipesOf = (soak) => soak.faults.filter(isWipe).map((f) => f.at);

/**
 * Per task (by name), the start times of the wipes that erased its data: every wipe, but a Redis Cluster
 * master restarted empty (`wipedPartitions`), which erased the partitions it served only. The other partitions
 * kept their data (a task's backoff, a run's message) through it.
 */
export function wipesOfTask(soak) {
  const wipes = soak.faults.filter(isWipe);
  return (name) => {
    const partition = soak.partitionOfTask?.(name) ?? 0;
    return wipes.filter((f) => f.wipedPartitions?.includes(partition) ?? true).map((f) => f.at);
  };
}

/** The poison-pill fault that killed process `pid` (each death is recorded), or undefined. */
export const poisonDeathOf = (soak) => (pid) =>
  soak.faults.find((f) => f.kind === 'poison-pill' && (f.deaths ?? []).some((d) => d.pid === pid));

/** Runs lost with a SIGKILLed worker (started, not ended before the kill): re-run elsewhere, or why not. */
export function killedRunRecoveries(soak, perSlot, leaseMs, poisonDeath) {
  const byPid = new Map(soak.instances.map((i) => [i.pid, i]));
  const partitionOf = (name) => soak.partitionOfTask?.(name) ?? 0;
  const recoveries = [];
  const unrecovered = [];
  for (const e of soak.executions) {
    const instance = byPid.get(e.pid);
    if (instance?.killedAt === undefined || (e.end !== undefined && e.end <= instance.killedAt)) continue;
    const rerun = (perSlot.get(`${e.task}|${e.slot}`) ?? []).find(
      (r) => r.pid !== e.pid && r.attempt === e.attempt && r.start >= instance.killedAt,
    );
    if (rerun) recoveries.push({ task: e.task, slot: e.slot, ms: rerun.start - instance.killedAt });
    else {
      // A wipe soon after the kill erased the run before its lease expired; a wipe between its start and the
      // kill erased its message while it kept running (nothing left to recover it from).
      const wipe = soak.faults.find(
        (f) =>
          isWipe(f) &&
          (f.wipedPartitions?.includes(partitionOf(e.task)) ?? true) &&
          f.at >= e.start - 500 &&
          f.at <= instance.killedAt + leaseMs + 3000,
      );
      const pill = poisonDeath(e.pid);
      const explainedBy = wipe
        ? `fault #${wipe.n} ${wipe.kind}`
        : pill
          ? `fault #${pill.n} poison-pill (given up after maxDeliveries)`
          : null;
      unrecovered.push({ task: e.task, slot: e.slot, killedAt: instance.killedAt, explainedBy });
    }
  }
  return { recoveries, unrecovered };
}

/** Sets each wipe's recovery point (`recoveredAt`, `recoveryMs`): every static per-second task ran again. */
export function markWipeRecoveries(soak, perTask) {
  const perSecondTasks = [...soak.mix.tasks].filter(([, t]) => t.category === 'per-second').map(([name]) => name);
  for (const fault of soak.faults) {
    if (!isWipe(fault)) continue;
    let recoveredAt = fault.at;
    for (const name of perSecondTasks) {
      const first = (perTask.get(name) ?? [])
        .filter((e) => e.slot >= fault.at && completed(e))
        .reduce((min, e) => Math.min(min, e.slot), Infinity);
      recoveredAt = Math.max(recoveredAt, first);
    }
    fault.recoveredAt = Number.isFinite(recoveredAt) ? recoveredAt : null;
    fault.recoveryMs = fault.recoveredAt === null ? null : fault.recoveredAt - fault.at;
  }
}

/**
 * The periods whose missed slots a fault explains (a leader failover, a wipe, the extra faults' own). A window
 * with `partitions` explains the slots of the tasks of those partitions only (a failover: the partitions the
 * victim led; the others kept their leaders); one without, every task's (a wipe, an outage of Redis).
 */
export function explanationWindows(soak) {
  const windows = [];
  for (const f of soak.faults) {
    if ((f.kind === 'kill-leader' || f.kind === 'kill-random' || f.kind === 'freeze-leader') && f.wasLeader) {
      windows.push({
        fault: f,
        from: f.at - 1000,
        to: (f.newLeaderAt ?? f.endAt) + 1000,
        cause: 'leader failover',
        partitions: f.ledPartitions,
      });
    } else if (isWipe(f)) {
      windows.push({
        fault: f,
        from: f.at - 1000,
        to: (f.recoveredAt ?? f.endAt) + 1000,
        cause: f.kind === 'redis-restart' ? 'Redis restarted empty' : 'FLUSHALL erased the schedule',
      });
    }
  }
  // Faults kept in their own modules explain the slots they cost (e.g. a leader whose link froze).
  for (const f of soak.faults) windows.push(...(EXTRA_FAULTS[f.kind]?.windows?.(soak, f) ?? []));
  return windows;
}
