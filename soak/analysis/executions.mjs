// Executions of a soak grouped for the analysis, and the rule that excuses a re-execution.

/** An execution that ended and was not aborted. */
export const completed = (e) => e.end !== undefined && !e.aborted;

/** Executions per `task|slot` and per task (all), and per `task|slot|attempt` (completed only). */
export function indexExecutions(executions) {
  const perSlot = new Map();
  const perTask = new Map();
  for (const e of executions) {
    const key = `${e.task}|${e.slot}`;
    if (!perSlot.has(key)) perSlot.set(key, []);
    perSlot.get(key).push(e);
    if (!perTask.has(e.task)) perTask.set(e.task, []);
    perTask.get(e.task).push(e);
  }
  const perAttempt = new Map();
  for (const e of executions) {
    if (!completed(e)) continue;
    const key = `${e.task}|${e.slot}|${e.attempt}`;
    if (!perAttempt.has(key)) perAttempt.set(key, []);
    perAttempt.get(key).push(e);
  }
  return { perSlot, perTask, perAttempt };
}

/**
 * Why `y` may legitimately re-execute what `x` completed, or undefined: `x`'s worker was SIGKILLed right
 * after its end (outcome possibly unrecorded), was SIGSTOPped while it ran (its lease expired: recovered
 * elsewhere; its late outcome is refused), its Redis link froze as it ended, or Redis was down as it ended
 * and kept the run's data (every instance's link at once: a Redis Cluster master restarted, the cluster down
 * for longer than a lease while another master kept the run's message, recovered once the cluster was back;
 * a restart that erased the run's partition left nothing to recover it from).
 */
export function makeExcuse(soak) {
  const byPid = new Map(soak.instances.map((i) => [i.pid, i]));
  const { killGraceMs } = soak.settings;
  // Redis restarts that kept some partitions' data: [from, to, partitions kept].
  const keptThrough = soak.faults
    .filter((f) => f.kind === 'redis-restart' && f.upAt !== undefined && f.wipedPartitions !== undefined)
    .map((f) => ({ from: f.at, to: f.upAt, wiped: f.wipedPartitions }));
  const partitionOf = (name) => soak.partitionOfTask?.(name) ?? 0;
  return (x, y) => {
    const instance = byPid.get(x.pid);
    if (!instance) return undefined;
    const k = instance.killedAt;
    if (k !== undefined && x.end <= k && k - x.end <= killGraceMs && y.start >= k) return 'worker killed after its end';
    for (const stop of instance.stops) {
      if (stop.at >= x.start && stop.at <= x.end && y.start >= stop.at) return 'worker frozen while it ran';
    }
    for (const freeze of instance.linkFreezes) {
      if (x.end >= freeze.at - 1000 && x.end <= (freeze.until ?? Infinity) && y.start >= freeze.at)
        return 'link frozen before its outcome was recorded';
    }
    for (const { from, to, wiped } of keptThrough) {
      if (!wiped.includes(partitionOf(x.task)) && x.end >= from - 1000 && x.end <= to && y.start >= from)
        return 'Redis down before its outcome was recorded';
    }
    return undefined;
  };
}

/** Two completed executions of one (task, slot, attempt) without an excuse; excused ones counted by reason. */
export function findDuplicates(perAttempt, excuse) {
  const duplicates = [];
  const reExecutions = {
    'worker killed after its end': 0,
    'worker frozen while it ran': 0,
    'link frozen before its outcome was recorded': 0,
    'Redis down before its outcome was recorded': 0,
  };
  for (const [key, list] of perAttempt) {
    if (list.length < 2) continue;
    list.sort((a, b) => a.start - b.start);
    for (let i = 1; i < list.length; i++) {
      const reason = list
        .slice(0, i)
        .map((x) => excuse(x, list[i]))
        .find(Boolean);
      if (reason) reExecutions[reason]++;
      else
        duplicates.push({
          key,
          executions: list.map(({ pid, start, end, failed }) => ({ pid, start, end, failed })),
        });
    }
  }
  return { duplicates, reExecutions };
}
