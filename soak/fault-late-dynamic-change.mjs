// Soak fault "late-dynamic-change": a dynamic task runs every 2 s; one instance's Redis link hangs (the
// freeze-link mechanism of the TCP proxy), and through that instance the task is deleted and created again
// under its name, with the same cron, just before one of its slots. Both commands wait in the hung link and
// reach Redis when it thaws, just after that slot: the slot the create planned first is past by then, and the
// deleted task ran it (its delete was late too). The create must refuse a first slot already past and plan
// again, so no slot of the task runs twice (found by the simulator, seed 380). The link hangs for less than
// the command timeout (1 s in the soak's settings), so that both requests are answered. Legitimately caused:
// the deleted task keeps running until its delete reaches Redis (the thaw); a run of it not started by then is
// dropped or started under the new definition; the re-created task starts at its first slot after the thaw.
import { setTimeout as sleep } from 'node:timers/promises';
import { createDynamicTask, dynamicTaskBody, recreateDynamic, taskPath } from './dynamic-api.mjs';
import { findDuplicates, indexExecutions, makeExcuse } from './analysis/executions.mjs';

const CRON = '*/2 * * * * *';
const PERIOD_MS = 2000;
/** The link hangs this long before the slot: the delete is sent at once, the create 200 ms later. */
const BEFORE_SLOT_MS = 600;

/** The version (kwargs.v) of the task's definition stored in Redis now, or null when it has none. */
async function storedVersion(soak, name) {
  const stored = await soak.probe.hget(soak.deployment.keysOfTask(name).dynamic, soak.deployment.taskId(name));
  return stored === null ? null : (JSON.parse(stored).kwargs?.v ?? null);
}

async function run(soak, record) {
  const leader = soak.leader();
  const live = soak.live();
  const via = soak.random.pick(live.filter((i) => i.proxy && i !== leader));
  if (!via) {
    record.skipped = 'no live instance but the leader';
    return;
  }
  const others = live.filter((i) => i !== via);
  const name = await createDynamicTask(soak, soak.random.pick(others), via, CRON);
  if (!name) return;
  // A few runs of the task first; then the hang, timed around one of its slots.
  await sleep(soak.random.int(2500, 4500));
  const slot = Math.ceil((Date.now() + BEFORE_SLOT_MS + 200) / PERIOD_MS) * PERIOD_MS;
  await sleep(slot - BEFORE_SLOT_MS - Date.now());
  const freezeMs = BEFORE_SLOT_MS + soak.random.int(100, 250);
  Object.assign(record, { name, cron: CRON, slot, pid: via.pid, wasLeader: false, freezeMs, at: Date.now() });
  const period = { at: record.at, until: undefined };
  via.linkFreezes.push(period);
  via.proxy.freeze();
  record.deleteRequestedAt = Date.now();
  const deleting = soak.api(via, 'DELETE', taskPath(name));
  // The delete's command goes first on the hung link.
  await sleep(200);
  record.createRequestedAt = Date.now();
  const creating = soak.api(via, 'POST', '/tasks', dynamicTaskBody(name, CRON, soak.random.int(0, 50), 2));
  await sleep(Math.max(0, record.at + freezeMs - Date.now()));
  record.thawedAt = Date.now();
  via.proxy.unfreeze();
  period.until = record.thawedAt;
  const [deleted, created] = await Promise.all([deleting, creating]);
  Object.assign(record, { deleteStatus: deleted.status, createStatus: created.status });
  // Answered or not (a command timeout answers 503 — Redis unreachable, retry — while the command still reaches
  // Redis), Redis says what happened: deleted (no definition), re-created (version 2), or neither (version 1).
  const version = await storedVersion(soak, name).catch(() => undefined);
  record.storedVersion = version;
  for (const [op, res] of [
    ['delete', deleted],
    ['create', created],
  ]) {
    if (res.status !== 200 && res.status !== 503)
      soak.httpErrors.push({ op, name, status: res.status, body: res.body, at: Date.now() });
  }
  if (version !== 1) soak.dynamic.get(name).deletedAt = Date.now();
  if (version === 2) {
    record.recreatedAt = Date.now();
    recreateDynamic(soak, name, {
      cron: CRON,
      createdAt: record.recreatedAt,
      requestedAt: record.createRequestedAt,
      via: via.pid,
      version: 2,
    });
  }
  // A run or two of the re-created task.
  await sleep(2 * PERIOD_MS);
}

/**
 * Per re-creation: the deleted task's runs while its delete waited in the hung link (by design), when the
 * re-created task first ran, and the failure this fault guards: a slot of the task run twice around the fault
 * (by the deleted task, then by the re-created one planned at a slot already past), re-executions the soak
 * excuses aside (analysis/executions.mjs).
 */
function analyze(soak) {
  const faults = soak.faults.filter((f) => f.kind === 'late-dynamic-change' && f.thawedAt !== undefined);
  const excuse = makeExcuse(soak);
  let runsWhileDeleteHeld = 0;
  const firstRunAfterThawMs = [];
  const slotsRunTwice = [];
  for (const f of faults) {
    const runs = soak.executions.filter((e) => e.task === f.name);
    runsWhileDeleteHeld += runs.filter((e) => e.slot >= f.deleteRequestedAt && e.slot <= f.thawedAt).length;
    const next = runs.filter((e) => e.slot > f.thawedAt).reduce((min, e) => Math.min(min, e.slot), Infinity);
    if (Number.isFinite(next)) firstRunAfterThawMs.push(next - f.thawedAt);
    const around = runs.filter((e) => e.slot >= f.at - PERIOD_MS && e.slot <= f.thawedAt + 2 * PERIOD_MS);
    for (const d of findDuplicates(indexExecutions(around).perAttempt, excuse).duplicates)
      slotsRunTwice.push({ fault: f.n, key: d.key, executions: d.executions });
  }
  return {
    count: faults.length,
    recreated: faults.filter((f) => f.recreatedAt !== undefined).length,
    // Requests answered 503 (the command timed out in the hung link; Redis took it at the thaw).
    timedOut: faults.reduce((n, f) => n + (f.deleteStatus === 503) + (f.createStatus === 503), 0),
    maxFreezeMs: Math.max(0, ...faults.map((f) => f.freezeMs)),
    runsWhileDeleteHeld,
    maxFirstRunAfterThawMs: firstRunAfterThawMs.length > 0 ? Math.max(...firstRunAfterThawMs) : null,
    slotsRunTwice,
    failures:
      slotsRunTwice.length > 0
        ? [`${slotsRunTwice.length} slot(s) of a dynamic task re-created through a hung link ran twice`]
        : [],
  };
}

/** The fault, as the soak's fault menu uses it. */
export const lateDynamicChangeFault = {
  /** It acts on one instance's own TCP proxy to Redis (soak/extra-faults.mjs: standalone only). */
  needsLink: true,
  run,
  analyze,
  describe: (a) =>
    `${a.count} (a dynamic task deleted and created again through a link hung for up to ${a.maxFreezeMs} ms ` +
    `across one of its slots: re-created ${a.recreated} times, ${a.timedOut} requests answered 503; ` +
    `the deleted task ran ${a.runsWhileDeleteHeld} slots while its delete waited, the re-created one first ran ` +
    `at most ${a.maxFirstRunAfterThawMs ?? '—'} ms after the thaw; slots run twice: ${a.slotsRunTwice.length})`,
};
