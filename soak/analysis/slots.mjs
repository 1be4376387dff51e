// Every slot due in the analysis window: executed (and how late), or missed with its cause.
import { completed } from './executions.mjs';

/**
 * Accounts the slots of the static tasks (except those only a fault triggers) and of the dynamic tasks
 * (from a second after creation to their deletion or the wipe that erased them; each life of a task created
 * again under its name). Counts a miss on the fault that explains it (`fault.missed`, `fault.missedTasks`).
 */
export function accountSlots(soak, { perSlot, perTask, windows, wipes: allWipes, backoffGates, poisonDeath, leaseMs }) {
  // (The wipes' times, or per task name those that erased its data: soak/analysis/faults.mjs wipesOfTask.)
  const wipesOf = typeof allWipes === 'function' ? allWipes : () => allWipes;
  const from = soak.analysisFrom;
  const to = soak.analysisTo;
  // (A window of some partitions explains the slots of their tasks only; one partition when the soak has none.)
  const partitionOf = (name) => soak.partitionOfTask?.(name) ?? 0;
  const windowOf = (name, slot) =>
    windows.find(
      (w) => slot >= w.from && slot <= w.to && (w.partitions === undefined || w.partitions.includes(partitionOf(name))),
    );
  const totals = { due: 0, executed: 0, executedOnce: 0, missed: 0 };
  const missedBy = {};
  const missedDetail = [];
  const lateness = [];
  const latenessQuiet = [];
  const latenessByPriority = { high: [], normal: [] };
  const addMiss = (task, slot, cause, fault) => {
    totals.missed++;
    missedBy[cause] = (missedBy[cause] ?? 0) + 1;
    if (fault) {
      fault.missed = (fault.missed ?? 0) + 1;
      fault.missedTasks ??= new Set();
      fault.missedTasks.add(task);
    }
    if (cause === 'unexplained' || missedDetail.length < 200)
      missedDetail.push({ task, slot, cause, fault: fault?.n ?? null });
  };
  const killedAt = new Map(soak.instances.map((i) => [i.pid, i.killedAt]));
  const linkFreezes = new Map(soak.instances.map((i) => [i.pid, i.linkFreezes ?? []]));
  const stops = new Map(soak.instances.map((i) => [i.pid, i.stops ?? []]));
  const maxDeliveries = soak.settings?.options?.maxDeliveries ?? 3;
  /** A delivery of run `r` its worker did not finish: killed while it ran, or aborted as it was frozen. */
  const cutShort = (r) =>
    (r.end === undefined && killedAt.get(r.pid) !== undefined) ||
    (r.aborted === true &&
      [...(stops.get(r.pid) ?? []), ...(linkFreezes.get(r.pid) ?? [])].some(
        (s) => s.at <= r.end && (s.until ?? Infinity) >= r.start,
      ));
  /** When Redis learned that run `r` ended: at the thaw when its worker's link hung as it ended. */
  const endKnownAt = (r) => {
    if (r.end === undefined) return Infinity;
    const freeze = linkFreezes.get(r.pid)?.find((f) => r.end >= f.at && r.end <= (f.until ?? Infinity));
    return freeze ? (freeze.until ?? Infinity) : r.end;
  };
  /** Why nobody ran this slot of `name`. */
  const missCause = (name, task, slot) => {
    const runs = perSlot.get(`${name}|${slot}`) ?? [];
    const wipes = wipesOf(name);
    // In flight when Redis lost its data (FLUSHALL / restart), ended aborted (its lease could not be renewed
    // while Redis was down) and not re-run.
    if (runs.some((r) => r.aborted && r.end !== undefined && wipes.some((w) => w >= r.start - 500 && w <= r.end)))
      return ['in flight during a wipe, aborted'];
    // Kept running through a wipe (nobody else had it), then its worker was SIGKILLed before it ended: its
    // message went with Redis's data, so nothing was left to recover it from (docs/reliability.md, limits).
    const keptThenKilled = (r) =>
      r.end === undefined &&
      killedAt.get(r.pid) !== undefined &&
      wipes.some((w) => w >= r.start - 500 && w <= killedAt.get(r.pid));
    if (runs.some(keptThenKilled)) return ['in flight during a wipe, its worker killed later'];
    // Aborted by the rolling restart of a deploy that removed its task: no instance of the new code runs it.
    if (task.removedAt !== undefined && runs.some((r) => r.aborted && r.end >= task.removedAt))
      return ['aborted by the deploy that removed its task'];
    // Delivered to workers that a poison pill killed, one after the other (runs reclaimed together travel
    // together): given up after maxDeliveries deliveries with the pill, recorded as failed.
    const givenUp = runs.find((r) => r.end === undefined && poisonDeath(r.pid));
    if (givenUp)
      return ['given up with a poison pill (its workers died maxDeliveries times)', poisonDeath(givenUp.pid)];
    // Delivered to workers that were killed or frozen as they ran it, maxDeliveries times: recorded as failed
    // (the engine cannot tell a worker that stopped from a handler that kills it). E.g. a freeze, then a kill.
    for (const attempt of new Set(runs.map((r) => r.attempt))) {
      if (runs.filter((r) => r.attempt === attempt && cutShort(r)).length >= maxDeliveries)
        return ['given up: its workers stopped as they ran it, maxDeliveries times'];
    }
    if (
      task.category === 'serial' &&
      (perTask.get(name) ?? []).some((r) => r.slot < slot && endKnownAt(r) >= slot - 300)
    )
      return ['gated: allowParallel=false (previous run still in flight)'];
    if (task.category === 'failing' && (backoffGates.get(name) ?? []).some((g) => slot >= g.from && slot <= g.to))
      return ['gated: retry backoff after a failure'];
    const w = windowOf(name, slot);
    return w ? [w.cause, w.fault] : ['unexplained'];
  };
  const account = (name, task, slots) => {
    for (const slot of slots) {
      totals.due++;
      const list = (perSlot.get(`${name}|${slot}`) ?? []).filter(completed);
      if (list.length === 0) {
        addMiss(name, slot, ...missCause(name, task, slot));
        continue;
      }
      totals.executed++;
      const attempts = new Set(list.map((e) => e.attempt));
      if (attempts.size === list.length) totals.executedOnce++;
      const first = list.reduce((a, b) => (a.start <= b.start ? a : b));
      const late = first.start - slot;
      lateness.push(late);
      if (!windowOf(name, slot) && !soak.faults.some((f) => slot >= f.at - 1000 && slot <= f.endAt + leaseMs))
        latenessQuiet.push(late);
      (task.highPriority ? latenessByPriority.high : latenessByPriority.normal).push(late);
    }
  };
  for (const [name, task] of soak.mix.tasks) {
    // (Tasks run only when a fault triggers them have no slot to account.)
    if (task.category !== 'triggered')
      account(name, task, slotsOf(task.cron, from, Math.min(to, (task.removedAt ?? Infinity) - 1000)));
  }
  const afterDeletion = [];
  for (const [name, d] of soak.dynamic) {
    // A task deleted and created again under its name (dynamic-redefine, late-dynamic-change) owed the slots
    // of each life: from a second and a half after its creation to a second before its deletion.
    for (const life of [...(d.previous ?? []), d]) {
      const end = life.deletedAt ?? life.wipedAt ?? Infinity;
      account(
        name,
        { category: 'dynamic', highPriority: false },
        slotsOf(life.cron, Math.max(from, life.createdAt + 1500), Math.min(to, end - 1000)),
      );
    }
    // (Runs after the last deletion only: the runs of an earlier life cannot be told from the next one's.)
    const gone = d.deletedAt ?? d.wipedAt ?? Infinity;
    for (const e of perTask.get(name) ?? []) {
      if (e.slot > gone + 500 || e.start > gone + 1500)
        afterDeletion.push({ task: name, slot: e.slot, start: e.start, gone, by: d.deletedAt ? 'DELETE' : 'wipe' });
    }
  }
  return { totals, missedBy, missedDetail, lateness, latenessQuiet, latenessByPriority, afterDeletion };
}

/** Slots (ms) of a 6-field cron expression whose fields after the first are `*`, in [from, to]. */
export function slotsOf(cron, from, to) {
  const [seconds, ...rest] = cron.trim().split(/\s+/);
  if (rest.length !== 5 || rest.some((f) => f !== '*')) throw new Error(`unsupported soak cron "${cron}"`);
  const matches =
    seconds === '*'
      ? () => true
      : seconds.startsWith('*/')
        ? (s) => s % Number(seconds.slice(2)) === 0
        : (s) => s === Number(seconds);
  const slots = [];
  for (let t = Math.ceil(from / 1000) * 1000; t <= to; t += 1000) {
    if (matches(new Date(t).getUTCSeconds())) slots.push(t);
  }
  return slots;
}
