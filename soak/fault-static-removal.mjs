// Soak fault "static-removal": a rolling restart to code without some static tasks (one entry of the task
// mix). Instances are replaced one at a time (SIGTERM, then a new process with the new mix; instances
// started later by other faults run the new code too). Checked: the removed tasks stay scheduled while an
// instance of the old code is alive, and once the last one is gone the leader removes their schedule
// entries after `orphanedTaskGracePeriod` (and no task still in the code). Slots of the removed tasks are
// accounted until the rolling restart starts (`removedAt` on their entries of `soak.mix.tasks`).
import { setTimeout as sleep } from 'node:timers/promises';
import { isWipe } from './wipes.mjs';

/** Mix entries removed by successive faults (per-minute, long and failing tasks; never the per-second ones). */
const REMOVABLE = ['hmin', 'long', 'flaky'];

/** Schedule scores of `names` (null: not scheduled), each in its partition's schedule, or undefined when Redis does not answer. */
async function scores(soak, names) {
  const { deployment } = soak;
  const results = await deployment
    .pipelinePerPartition(
      names,
      (name) => deployment.partitionOfTask(name),
      (pipeline, p, name) => {
        pipeline.zscore(p.schedule, deployment.taskId(name));
        return 1;
      },
    )
    .catch(() => undefined);
  if (!results || results.some(([[error]]) => error)) return undefined;
  return results.map(([[, score]]) => score);
}

async function run(soak, record) {
  const entry = REMOVABLE.find((name) => soak.mix.entries.some((e) => e.name === name));
  const removed = entry ? [...soak.mix.tasks].filter(([, t]) => t.entry === entry).map(([name]) => name) : [];
  Object.assign(record, { entry: entry ?? null, removedTasks: removed.length });
  for (const name of removed) soak.mix.tasks.get(name).removedAt = record.at;
  // The new code: every instance started from now on runs the mix without the entry.
  if (entry) soak.mix = { ...soak.mix, entries: soak.mix.entries.filter((e) => e.name !== entry) };
  const old = soak.instances.filter((i) => i.alive);
  record.restarted = old.length;
  for (const [index, instance] of old.entries()) {
    if (index === old.length - 1 && removed.length > 0) {
      const before = await scores(soak, removed);
      record.keptWhileDeclared = before === undefined ? null : before.every((s) => s !== null);
    }
    // Out of the live set first, so that no API probe or other request is sent to a process shutting down.
    instance.expectedExit = true;
    instance.port = undefined;
    await sleep(200);
    if (instance.frozen) instance.signal('SIGCONT');
    instance.child.kill('SIGTERM');
    const deadline = Date.now() + 20000;
    while (!instance.exited && Date.now() < deadline) await sleep(50);
    if (!instance.exited) instance.signal('SIGKILL');
    await soak.startInstance(instance.slot);
  }
  record.oldCodeGoneAt = Date.now();
  if (removed.length === 0) return;
  // Undeclared from now on: removed after the grace period, at the next sweep step (one per interval). An old
  // instance SIGKILLed a moment ago still counts as live until the leader forgets it (30 s without heartbeat).
  const graceMs = soak.settings.options.orphanedTaskGracePeriod * 1000;
  const intervalMs = soak.settings.options.reconciliationInterval * 1000;
  const deadline = record.oldCodeGoneAt + 30000 + graceMs + 3 * intervalMs + 5000;
  record.entriesRemovedAfterMs = null;
  while (Date.now() < deadline) {
    const now = await scores(soak, removed);
    if (now?.every((s) => s === null)) {
      record.entriesRemovedAfterMs = Date.now() - record.oldCodeGoneAt;
      break;
    }
    await sleep(500);
  }
  // Nothing still in the code went with them (unless a wipe emptied the schedule a moment ago).
  const wiped = soak.faults.some((f) => isWipe(f) && f.at > record.at - 15000);
  const kept = [...soak.mix.tasks].filter(([, t]) => t.removedAt === undefined).map(([name]) => name);
  const keptScores = wiped ? undefined : await scores(soak, kept);
  record.declaredMissing = keptScores === undefined ? null : keptScores.filter((s) => s === null).length;
}

function analyze(soak) {
  const records = soak.faults.filter((f) => f.kind === 'static-removal');
  const failures = [];
  for (const r of records) {
    if (r.removedTasks === 0) continue;
    if (r.keptWhileDeclared === false)
      failures.push(`fault #${r.n}: tasks removed while an old instance declared them`);
    if (r.entriesRemovedAfterMs === null) failures.push(`fault #${r.n}: schedule entries of removed tasks still there`);
    if (r.declaredMissing)
      failures.push(`fault #${r.n}: ${r.declaredMissing} declared tasks lost their schedule entry`);
  }
  const removedAfter = records.map((r) => r.entriesRemovedAfterMs).filter((ms) => typeof ms === 'number');
  const removedNames = new Set([...soak.mix.tasks].filter(([, t]) => t.removedAt !== undefined).map(([name]) => name));
  const lastGone = Math.max(0, ...records.map((r) => r.oldCodeGoneAt ?? 0));
  // Once no instance runs the old code, no instance can run a removed task.
  const runsAfterRemoval = soak.executions.filter((e) => removedNames.has(e.task) && e.start > lastGone + 1000);
  if (runsAfterRemoval.length > 0) failures.push(`${runsAfterRemoval.length} runs of removed tasks after the deploy`);
  return {
    rollingRestarts: records.length,
    tasksRemoved: records.reduce((n, r) => n + r.removedTasks, 0),
    maxEntriesRemovedAfterMs: removedAfter.length > 0 ? Math.max(...removedAfter) : null,
    runsAfterRemoval: runsAfterRemoval.length,
    failures,
  };
}

/** The fault, as the soak's fault menu uses it. */
export const staticRemovalFault = {
  run,
  analyze,
  describe: (a) =>
    `${a.rollingRestarts} rolling restarts removing ${a.tasksRemoved} tasks; their entries removed ` +
    `${a.maxEntriesRemovedAfterMs ?? '—'} ms (max) after the last old instance stopped; runs after: ${a.runsAfterRemoval}`,
};
