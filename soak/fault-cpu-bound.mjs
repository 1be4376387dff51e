// Soak fault "cpu-bound": a run whose handler blocks the event loop longer than the lease (task `cpu`, a busy
// loop of 3.5–4.5 s with 3 s leases, triggered once). Its lease is kept by the heartbeat thread: it must run
// once, and the blocked instance must warn about its event loop. A blocked leader loses the lead.
import { setTimeout as sleep } from 'node:timers/promises';

async function run(soak, record) {
  const via = soak.random.pick(soak.live());
  if (!via) return;
  record.at = Date.now();
  const res = await soak.api(via, 'POST', '/tasks/trigger?task_group_name=Mix&task_name=cpu');
  record.triggered = res.status;
  const deadline = Date.now() + 20000;
  let execution;
  while (Date.now() < deadline) {
    execution = soak.executions.find((e) => e.task === 'cpu' && e.start >= record.at);
    if (execution?.end !== undefined) break;
    await sleep(100);
  }
  if (!execution) return;
  record.pid = execution.pid;
  record.startedAt = execution.start;
  record.endedAt = execution.end;
  // The partitions its instance led as the run started: they have no leader while its event loop is blocked.
  record.ledPartitions = soak.ledPartitions({ pid: execution.pid }, execution.start);
  record.wasLeader = record.ledPartitions.length > 0;
  if (record.wasLeader) {
    const next = await soak.waitForLeader(execution.start, execution.pid, 20000);
    record.newLeaderAt = next?.t;
  }
  // Past a lease and a recovery: a second copy would have started by now.
  await sleep(4000);
  record.executions = soak.executions.filter((e) => e.task === 'cpu' && e.slot === execution.slot).length;
  const instance = soak.instances.find((i) => i.pid === execution.pid);
  record.warned = Boolean(
    instance?.logLines.some((l) => l.t >= execution.start && /event loop was blocked/.test(l.text)),
  );
}

function analyze(soak) {
  const faults = soak.faults.filter((f) => f.kind === 'cpu-bound' && f.pid !== undefined);
  const doubled = faults.filter((f) => f.executions > 1).length;
  const silent = faults.filter((f) => !f.warned).length;
  const failures = [];
  if (doubled > 0) failures.push(`${doubled} CPU-bound run(s) executed more than once`);
  if (silent > 0) failures.push(`${silent} blocked event loop(s) not reported`);
  return {
    count: faults.length,
    onLeader: faults.filter((f) => f.wasLeader).length,
    maxBlockedMs: Math.max(0, ...faults.map((f) => (f.endedAt ?? 0) - (f.startedAt ?? 0))),
    failures,
  };
}

export const cpuBoundFault = {
  mixEntries: [{ name: 'cpu', crons: ['0 0 1 1 *'], cpuMs: [3500, 4500] }],
  run,
  /** A blocked leader can neither renew its lease nor publish until another instance leads. */
  windows: (soak, f) =>
    f.wasLeader
      ? [
          {
            fault: f,
            from: f.startedAt - 1000,
            to: (f.newLeaderAt ?? f.endedAt) + 1000,
            cause: 'leader blocked by a CPU-bound run',
            partitions: f.ledPartitions,
          },
        ]
      : [],
  analyze,
  describe: (a) =>
    `${a.count} (handlers blocking the event loop up to ${a.maxBlockedMs} ms with 3 s leases, ${a.onLeader} on the leader; each ran once)`,
};
