// Soak fault "dynamic-redefine": a dynamic task is deleted and created again, under the same name, with
// another cron and other kwargs, while one instance is paused (SIGSTOP) and every subscriber connection is
// dropped, so the paused instance misses both change notices. Half of the time the paused instance is the
// leader (paused shorter than its lease, it resumes as the leader holding the old definition). Checked: no
// run of the task after its redefinition follows the old cron or carries the old kwargs, and the paused
// instance lists the new definition within a few reconciliation intervals after it resumes.
import { setTimeout as sleep } from 'node:timers/promises';
import { createDynamicTask, dynamicTaskBody, recreateDynamic, taskPath } from './dynamic-api.mjs';

/** The crons a task is redefined with: every n seconds. */
const CRONS = ['*/2 * * * * *', '*/3 * * * * *', '*/5 * * * * *'];

/** Whether `slot` (ms) is a slot of `cron`, one of CRONS. */
const isSlotOf = (cron, slot) => (slot / 1000) % Number(/^\*\/(\d+) /.exec(cron)[1]) === 0;

/** Runs the fault; fills `record` (name, crons, version, paused instance, timings). */
async function run(soak, record) {
  const live = soak.live();
  const leader = soak.leader();
  if (live.length < 2) {
    record.skipped = 'fewer than two live instances';
    return;
  }
  const followers = live.filter((i) => i !== leader);
  const paused = leader && live.includes(leader) && soak.random.next() < 0.5 ? leader : soak.random.pick(followers);
  const others = live.filter((i) => i !== paused);
  const existing = [...soak.dynamic.entries()].filter(([, d]) => d.deletedAt === undefined && d.wipedAt === undefined);
  let name;
  if (existing.length > 0) name = soak.random.pick(existing)[0];
  else if (!(name = await createDynamicTask(soak, soak.random.pick(others), paused, soak.random.pick(CRONS)))) return;
  const entry = soak.dynamic.get(name);
  const newCron = soak.random.pick(CRONS.filter((c) => c !== entry.cron));
  const version = (entry.version ?? 1) + 1;
  Object.assign(record, { name, oldCron: entry.cron, newCron, version, pid: paused.pid, wasLeader: paused === leader });

  const pauseMs = soak.random.int(1000, 2500);
  paused.signal('SIGSTOP');
  const stoppedAt = Date.now();
  try {
    // (On every master of a Redis Cluster: a subscriber may be connected to any.)
    await soak.deployment.onEveryMaster(['CLIENT', 'KILL', 'TYPE', 'pubsub']).catch(() => undefined);
    await resubscribed(soak, others.length);
    const via = soak.random.pick(others);
    const deleted = await soak.api(via, 'DELETE', taskPath(name));
    if (deleted.status !== 200) {
      soak.httpErrors.push({ op: 'delete', name, status: deleted.status, body: deleted.body, at: Date.now() });
      return;
    }
    entry.deletedAt = Date.now();
    const requestedAt = Date.now();
    const created = await soak.api(
      via,
      'POST',
      '/tasks',
      dynamicTaskBody(name, newCron, soak.random.int(0, 50), version),
    );
    if (created.status !== 200) {
      soak.httpErrors.push({ op: 'create', name, status: created.status, body: created.body, at: Date.now() });
      return;
    }
    record.redefinedAt = Date.now();
    recreateDynamic(soak, name, { cron: newCron, createdAt: record.redefinedAt, requestedAt, via: via.pid, version });
    await sleep(Math.max(0, pauseMs - (Date.now() - stoppedAt)));
  } finally {
    paused.signal('SIGCONT');
    record.resumedAt = Date.now();
  }
  // The paused instance heard of nothing: it must catch up by itself.
  const deadline = Date.now() + 3 * soak.settings.options.reconciliationInterval * 1000;
  record.caughtUpMs = null;
  while (Date.now() < deadline && paused.alive) {
    const res = await soak.api(paused, 'GET', `/tasks?task_group_name=Mix&name=${encodeURIComponent(name)}`);
    if (res.status === 200 && res.body?.[0]?.expression === newCron) {
      record.caughtUpMs = Date.now() - record.resumedAt;
      break;
    }
    await sleep(100);
  }
}

/** Waits (1.5 s at most) until the instances that run again have subscribed to the change notices again. */
async function resubscribed(soak, count) {
  const channel = soak.keys.events;
  const deadline = Date.now() + 1500;
  while (Date.now() < deadline) {
    const subscribers = await soak.deployment.subscribers(channel).catch(() => 0);
    if (subscribers >= count) return;
    await sleep(20);
  }
}

/** Runs of each redefined task after its redefinition that follow the old cron or carry the old kwargs. */
function analyze(soak) {
  const records = soak.faults.filter((f) => f.kind === 'dynamic-redefine' && f.redefinedAt !== undefined);
  const staleCron = [];
  const staleKwargs = [];
  for (const r of records) {
    const next = records.find((o) => o.name === r.name && o.redefinedAt > r.redefinedAt);
    const until = next?.at ?? Infinity;
    for (const e of soak.executions) {
      if (e.task !== r.name || e.slot <= r.redefinedAt + 500 || e.slot >= until) continue;
      const run = { task: e.task, slot: e.slot, pid: e.pid, fault: r.n };
      if (!isSlotOf(r.newCron, e.slot)) staleCron.push({ ...run, cron: r.oldCron });
      if (e.v !== r.version) staleKwargs.push({ ...run, v: e.v, expected: r.version });
    }
  }
  const notCaughtUp = records.filter((r) => r.caughtUpMs === null).map((r) => r.n);
  const failures = [];
  if (staleCron.length > 0) failures.push(`${staleCron.length} runs on a replaced cron after a redefinition`);
  if (staleKwargs.length > 0) failures.push(`${staleKwargs.length} runs with replaced kwargs after a redefinition`);
  if (notCaughtUp.length > 0)
    failures.push(`paused instances still held a replaced definition (faults ${notCaughtUp})`);
  const caughtUp = records.map((r) => r.caughtUpMs).filter((ms) => ms !== null);
  return {
    redefinitions: records.length,
    whileLeaderPaused: records.filter((r) => r.wasLeader).length,
    maxCatchUpMs: caughtUp.length > 0 ? Math.max(...caughtUp) : null,
    staleCronRuns: staleCron.slice(0, 20),
    staleKwargsRuns: staleKwargs.slice(0, 20),
    failures,
  };
}

/** The fault, as the soak's fault menu uses it. */
export const dynamicRedefineFault = {
  run,
  analyze,
  describe: (a) =>
    `${a.redefinitions} redefinitions (${a.whileLeaderPaused} while the leader was paused); paused instance ` +
    `caught up within ${a.maxCatchUpMs ?? '—'} ms (max); runs on a replaced cron: ${a.staleCronRuns.length}, ` +
    `with replaced kwargs: ${a.staleKwargsRuns.length}`,
};
