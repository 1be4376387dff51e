// Soak fault "poison-pill": a run whose handler kills its own process (task `poison`, triggered once). Each
// worker that takes it dies; the leader re-publishes it after each death, and after `maxDeliveries` records
// it as failed instead. Checked: at most `maxDeliveries` processes die, the run is recorded as failed, the
// dead instances are replaced.
import { setTimeout as sleep } from 'node:timers/promises';

/** How the run is recognised in the history. */
const GIVEN_UP = /Given up: delivered \d+ times/;

async function run(soak, record) {
  const via = soak.random.pick(soak.live());
  if (!via) return;
  const maxDeliveries = soak.settings.options.maxDeliveries ?? 3;
  const leaseMs = soak.settings.options.runningHeartbeatInterval * 3000;
  Object.assign(record, { at: Date.now(), deaths: [], maxDeliveries });
  const restarts = [];
  // The processes that die now kill themselves: not crashes; each is replaced.
  soak.selfKill = (instance) => {
    if (instance.exitSignal !== 'SIGKILL') return false;
    const ledPartitions = soak.ledPartitions(instance);
    const death = { pid: instance.pid, at: instance.exitedAt, ledPartitions, wasLeader: ledPartitions.length > 0 };
    instance.killedAt = instance.exitedAt;
    record.deaths.push(death);
    if (death.wasLeader) {
      void soak.waitForLeader(death.at, instance.pid).then((next) => (death.newLeaderAt = next?.t));
    }
    restarts.push(sleep(500).then(() => soak.startInstance(instance.slot)));
    return true;
  };
  // The runs given up so far (an earlier pill's stay in the history): this pill's is the next one.
  const givenUpBefore = await givenUpRuns(soak, via);
  const res = await soak.api(via, 'POST', '/tasks/trigger?task_group_name=Mix&task_name=poison');
  record.triggered = res.status;
  const deadline = Date.now() + maxDeliveries * (leaseMs + 5000) + 20000;
  while (Date.now() < deadline) {
    const probe = soak.live()[0];
    if (probe && (await givenUpRuns(soak, probe)) > givenUpBefore) {
      record.recordedAfterMs = Date.now() - record.at;
      break;
    }
    await sleep(500);
  }
  // Late deaths (a re-publish in flight) are still the pill's.
  await sleep(2000);
  soak.selfKill = undefined;
  await Promise.all(restarts);
}

/** How many runs of the pill its history holds as given up (failed after `maxDeliveries` deliveries). */
async function givenUpRuns(soak, instance) {
  const stats = await soak.api(instance, 'GET', '/tasks/Mix/poison/statistics');
  const runs = Array.isArray(stats?.body?.runs) ? stats.body.runs : Array.isArray(stats?.body) ? stats.body : [];
  return runs.filter((r) => r.status === 'failed' && GIVEN_UP.test(r.error ?? '')).length;
}

function analyze(soak) {
  const faults = soak.faults.filter((f) => f.kind === 'poison-pill');
  const failures = [];
  for (const f of faults) {
    if (f.deaths.length > f.maxDeliveries)
      failures.push(`fault #${f.n}: ${f.deaths.length} processes died (maxDeliveries ${f.maxDeliveries})`);
    if (f.recordedAfterMs === undefined) failures.push(`fault #${f.n}: the poison run was not recorded as failed`);
  }
  return {
    count: faults.length,
    deaths: faults.reduce((n, f) => n + f.deaths.length, 0),
    maxRecordedAfterMs: Math.max(0, ...faults.map((f) => f.recordedAfterMs ?? 0)),
    failures,
  };
}

export const poisonPillFault = {
  mixEntries: [{ name: 'poison', crons: ['0 0 1 1 *'], kill: true }],
  run,
  /** A death of a leader: the partitions it led have no leader until the next one. */
  windows: (soak, f) =>
    (f.deaths ?? [])
      .filter((d) => d.wasLeader)
      .map((d) => ({
        fault: f,
        from: d.at - 1000,
        to: (d.newLeaderAt ?? d.at + 10000) + 1000,
        cause: 'poison pill killed the leader',
        partitions: d.ledPartitions,
      })),
  analyze,
  describe: (a) =>
    `${a.count} (a handler that kills its process: ${a.deaths} processes died in all, each run recorded as failed ` +
    `within ${a.maxRecordedAfterMs} ms)`,
};
