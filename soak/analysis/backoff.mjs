// The retry backoff of the failing tasks: the periods it gates, and runs that started inside one.
import { completed } from './executions.mjs';

/**
 * The k-th consecutive failure of a task delays it by min(b * m^(k-1), max) seconds. A wipe of a task's data
 * (`wipes`: their times, or per task name, soak/analysis/faults.mjs wipesOfTask) erased its backoff.
 * @returns {{ backoffGates: Map<string, Array<{from: number, to: number}>>, backoffViolations: object[] }}
 */
export function analyzeBackoff(soak, { perTask, perAttempt }, excuse, allWipes) {
  const wipesOf = typeof allWipes === 'function' ? allWipes : () => allWipes;
  const knownAt = outcomeKnownAt(soak);
  const multiplier = soak.settings.options.retryBackoffMultiplier ?? 2;
  const backoffGates = new Map();
  const backoffViolations = [];
  for (const [name, task] of soak.mix.tasks) {
    if (task.category !== 'failing') continue;
    const wipes = wipesOf(name);
    const list = (perTask.get(name) ?? []).filter((e) => completed(e)).sort((a, b) => a.end - b.end);
    const gates = [];
    let consecutive = 0;
    let lastEnd = 0;
    for (const e of list) {
      if (wipes.some((w) => w > lastEnd && w <= e.end)) consecutive = 0;
      lastEnd = e.end;
      // A completion excused as a re-execution was refused (not recorded): it does not count.
      const others = perAttempt.get(`${e.task}|${e.slot}|${e.attempt}`) ?? [];
      if (
        others.length > 1 &&
        others.some((x) => x !== e && x.start < e.start && excuse(x, e) === undefined && excuse(e, x))
      )
        continue;
      if (!e.failed) {
        consecutive = 0;
        continue;
      }
      consecutive++;
      const delayMs = Math.min(task.retryBackoff * multiplier ** (consecutive - 1), task.retryBackoffMax) * 1000;
      // The gate covers the slots after the failing one: a slot due while the failing run was still in flight
      // (e.g. its start delayed by a slow link) and published after its failure was recorded is gated too —
      // publish-runs compares the slot with retry_after, whenever the leader gets to it.
      // retry_after counts from when Redis recorded the failure: later than its end over a slow or hung link.
      const known = knownAt(e);
      // A success recorded after this failure clears the backoff (complete-runs deletes retry_after).
      const cleared = list.find((x) => !x.failed && x.end > e.end)?.end ?? Infinity;
      gates.push({ from: Math.min(e.end - 300, e.slot + 1), to: Math.min(known + delayMs, cleared) + 300 });
      const early = (perTask.get(name) ?? []).find(
        (r) =>
          r.attempt === 1 &&
          r.slot >= known + 100 &&
          r.start < Math.min(known + delayMs - 50, cleared) &&
          !wipes.some((w) => w >= e.end && w <= r.start),
      );
      if (early)
        backoffViolations.push({
          task: name,
          failedAt: e.end,
          delayMs,
          startedAt: early.start,
          slot: early.slot,
          // (Who: to tell a late failure record, e.g. through a slow or frozen link, from a gate not applied.)
          failedSlot: e.slot,
          failedAttempt: e.attempt,
          failedPid: e.pid,
          startedPid: early.pid,
          consecutive,
        });
    }
    backoffGates.set(name, gates);
  }
  return { backoffGates, backoffViolations };
}

/**
 * The earliest time Redis can have recorded an execution's outcome: its end, or later when its worker's link
 * was slowed (a latency fault: a round trip, as one call may be ahead of it on the link) or hung (the thaw) as
 * it ended. A slot published before that is not gated by the failure (publish-runs gates on retry_after, which
 * complete-runs sets from the server's time of the record).
 */
function outcomeKnownAt(soak) {
  const slowed = (soak.faults ?? []).filter((f) => f.kind === 'latency' && f.pid !== undefined);
  const hung = new Map((soak.instances ?? []).map((i) => [i.pid, i.linkFreezes ?? []]));
  return (e) => {
    let known = e.end;
    for (const f of slowed) {
      if (f.pid === e.pid && e.end >= f.at && e.end <= f.at + f.forMs + 1000)
        known = Math.max(known, e.end + 2 * f.latencyMs);
    }
    for (const freeze of hung.get(e.pid) ?? []) {
      if (e.end >= freeze.at && e.end <= (freeze.until ?? Infinity)) known = Math.max(known, freeze.until ?? Infinity);
    }
    return known;
  };
}
