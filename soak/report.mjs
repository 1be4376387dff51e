// Acceptance criteria and Markdown rendering of a soak report (see soak/soak.mjs).
import { EXTRA_FAULTS } from './extra-faults.mjs';
import { isWipe } from './wipes.mjs';

/** RSS growth tolerated for an instance over the soak: 50 % of its warm RSS + 40 MB. */
const RSS_GROWTH = (start) => start * 0.5 + 40;
/** Redis used_memory tolerated at the end: twice the warm value + 4 MB. */
const REDIS_GROWTH = (start) => start * 2 + 4;

/**
 * The acceptance criteria of the soak. Memory is judged only on instances that lived through at least half
 * of the run (a restarted process is still warming up).
 */
export function acceptance(report) {
  const failures = [];
  const check = (ok, message) => {
    if (!ok) failures.push(message);
  };
  check(report.slots.duplicated === 0, `${report.slots.duplicated} duplicated slots`);
  check(report.processes.crashes.length === 0, `${report.processes.crashes.length} process crashes`);
  check(
    report.processes.unhandledRejections.length === 0,
    `${report.processes.unhandledRejections.length} unhandled rejections`,
  );
  check(
    report.slots.unexplainedMissed.length === 0,
    `${report.slots.unexplainedMissed.length} unexplained missed slots`,
  );
  check(!report.recordedDuplicates?.length, `${report.recordedDuplicates?.length} outcomes recorded twice`);
  check(report.runsAfterDeletion.length === 0, `${report.runsAfterDeletion.length} runs of deleted dynamic tasks`);
  check(report.backoffViolations.length === 0, `${report.backoffViolations.length} runs started inside their backoff`);
  check(report.api.unexpected.length === 0, `${report.api.unexpected.length} unexpected API answers`);
  check(report.api.dynamicErrors.length === 0, `${report.api.dynamicErrors.length} failed dynamic-task requests`);
  check(report.leadership.frozenLeadersStillClaiming === 0, 'a resumed frozen leader kept claiming leadership');
  for (const [kind, analysis] of Object.entries(report.extraFaults ?? {})) {
    for (const failure of analysis.failures) check(false, `${kind}: ${failure}`);
  }
  const f = report.final;
  if (f) {
    check(f.streamHigh + f.streamNormal === 0, `run streams not drained (${f.streamHigh} + ${f.streamNormal} entries)`);
    check((f.pendingHigh ?? 0) + (f.pendingNormal ?? 0) === 0, 'runs stuck pending after the drain');
    check(f.historyMaxLength <= f.historyCap, `a history holds ${f.historyMaxLength} > ${f.historyCap} runs`);
    check(f.historyKeysWithoutTtl === 0, `${f.historyKeysWithoutTtl} history keys without TTL`);
  }
  check(
    (report.processes.shutdown ?? []).every((s) => s.exited && (s.code === 0 || s.signal === 'SIGTERM')),
    'an instance did not shut down cleanly on SIGTERM',
  );
  const longLived = report.memory.instances.filter(
    (i) => i.lifetimeS >= report.settings.minutes * 30 && i.samples >= 4,
  );
  for (const i of longLived) {
    check(
      i.endRssMb <= i.startRssMb + RSS_GROWTH(i.startRssMb),
      `instance ${i.pid} RSS grew ${i.startRssMb} → ${i.endRssMb} MB`,
    );
  }
  if (report.memory.redisStartMb !== null) {
    check(
      report.memory.redisEndMb <= REDIS_GROWTH(report.memory.redisStartMb),
      `Redis used_memory grew ${report.memory.redisStartMb} → ${report.memory.redisEndMb} MB`,
    );
  }
  return { passed: failures.length === 0, failures };
}

const ms = (v) => (v === null || v === undefined ? '—' : `${v} ms`);
const num = (v) => (v === null || v === undefined ? '—' : String(v));
const pct = (a, b) => (b === 0 ? '—' : `${((100 * a) / b).toFixed(2)} %`);

/** Why slots were missed, in words. */
const WHY = {
  'gated: allowParallel=false (previous run still in flight)':
    "by design: the task is `allowParallel: false` and its previous run (3 s) was still queued or running when the slot came, or had ended while its worker's Redis link hung, so Redis learned of its end at the thaw (publish-runs answers `busy` and advances the schedule).",
  'gated: retry backoff after a failure':
    'by design: the task failed and its retry backoff (min(1 s × 2^(k−1), max)) had not elapsed (publish-runs answers `backoff`).',
  'leader failover':
    'no leader between the fault and the new leader: slots later than `misfireToleranceMs` when the new leader saw them followed the misfire policy (`runOnce`: one catch-up run at the latest missed slot).',
  'FLUSHALL erased the schedule':
    'FLUSHALL erased the schedule entries: until the leader re-registered them (its reconciliation pass, every 5 s, or its next acquisition) no entry existed to publish or to misfire from; tasks resume at their first slot after the rebuild.',
  'Redis restarted empty':
    'Redis was down, then came back empty (no persistence): nothing can be published while it is down, and the erased schedule is rebuilt by the leader as after FLUSHALL.',
  'in flight during a wipe, aborted':
    'the run was executing when Redis restarted empty; its lease could not be renewed while Redis was down, so the handler was given up, and the slot was not re-run (a run only handed back once Redis answered).',
  'in flight during a wipe, its worker killed later':
    'the run kept running through a wipe (nobody else had it: its message went with the data), and its worker was SIGKILLed before it ended: with its message gone, Redis held nothing a recovery could re-publish it from (a limit of a Redis that loses its data, like the one-off queue it loses; docs/reliability.md).',
  'aborted by the deploy that removed its task':
    'the run was aborted by the graceful stop of the rolling restart that removed its task from the code, and handed back; no instance of the new code declares the task, so nobody ran it again (by design).',
  'given up: its workers stopped as they ran it, maxDeliveries times':
    'the run was delivered to workers that were SIGKILLed or frozen past their lease as they ran it (a freeze, then a kill), `maxDeliveries` times: it was recorded as failed (by design: the engine cannot tell a worker that stopped from a handler that kills its process).',
  'given up with a poison pill (its workers died maxDeliveries times)':
    'the run was in flight on workers that a poison pill killed, one after the other (runs recovered together are delivered together): after `maxDeliveries` deliveries ended by a dead worker it was recorded as failed, like the pill (by design: the engine cannot tell the pill from a bystander).',
  'leader blocked by a CPU-bound run':
    'the leader ran a CPU-bound handler: its event loop could neither renew the leader lease nor publish; slots due then followed the misfire policy once another instance led.',
  'leader link frozen':
    "the leader's Redis link hung: it stepped down on its local timer and another instance took over; slots late past `misfireToleranceMs` followed the misfire policy.",
  'poison pill killed the leader':
    'a run whose handler kills its process took the leader down (up to `maxDeliveries` times): slots followed the misfire policy until a new leader.',
  unexplained: 'NOT EXPLAINED — a run lost or stuck: a bug.',
};

/**
 * The deployment layout of a soak's settings: its words (empty for the default, one partition on one
 * redis-server) and the `npm run soak` flags that choose it.
 */
function layoutOf(settings) {
  const partitions = settings.partitions ?? 1;
  const cluster = settings.topology === 'cluster';
  const words = [
    partitions === 1 ? undefined : `${partitions} partitions`,
    cluster ? 'a local 3-master Redis Cluster' : undefined,
  ].filter(Boolean);
  return {
    text: words.length === 0 ? '' : `${words.join(' on ')}, `,
    flags: `${partitions === 1 ? '' : ` --partitions ${partitions}`}${cluster ? ' --topology cluster' : ''}`,
    partitioned: partitions > 1,
  };
}

/** The soak section of docs/reliability.md. */
export function renderMarkdown(r) {
  const s = r.slots;
  const lines = [];
  const v = r.acceptance ?? acceptance(r);
  const layout = layoutOf(r.settings);
  lines.push(
    `Last run: ${r.generatedAt ?? 'now'} — ${r.settings.minutes} min, ${r.settings.instances} instances, ${layout.text}` +
      `${r.tasks.static} static tasks + ${r.tasks.dynamicCreated} dynamic ones, seed ${r.settings.seed} ` +
      `(\`npm run soak -- --minutes ${r.settings.minutes} --seed ${r.settings.seed}${layout.flags}\` replays the same fault sequence). ` +
      `Verdict: **${v.passed ? 'PASSED' : `FAILED — ${v.failures.join('; ')}`}**. Raw figures: \`docs/reliability-soak.json\`.`,
  );
  lines.push('');
  lines.push('| Figure | Value |');
  lines.push('| --- | --- |');
  const row = (k, val) => lines.push(`| ${k} | ${val} |`);
  row('Analysed window', `${r.window.seconds} s (after a warm-up, before the final drain)`);
  row(
    'Task mix',
    Object.entries(r.tasks.byCategory)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ') + `; ${r.tasks.highPriority} high priority`,
  );
  row(
    'Executions observed (side channel)',
    `${r.executions.total} (${r.executions.failed} failed on purpose, ${r.executions.aborted} aborted)`,
  );
  row('Slots due', s.due);
  row('Executed', `${s.executed} (${pct(s.executed, s.due)}), exactly once: ${s.executedOnce}`);
  row('**Duplicated**', `**${s.duplicated}**`);
  row(
    'Re-executed after a lost lease (not duplicates, see definition)',
    `${r.reExecutions['worker killed after its end']} after a SIGKILL right after the handler ended, ` +
      `${r.reExecutions['worker frozen while it ran']} after a SIGSTOP during the run, ` +
      `${r.reExecutions['link frozen before its outcome was recorded'] ?? 0} after its Redis link hung as it ended` +
      (r.reExecutions['Redis down before its outcome was recorded']
        ? `, ${r.reExecutions['Redis down before its outcome was recorded']} after Redis went down as it ended`
        : ''),
  );
  row('Outcomes recorded twice in the history', num(r.recordedDuplicates?.length));
  row('Missed', `${s.missed} (${pct(s.missed, s.due)}), **unexplained: ${s.unexplainedMissed.length}**`);
  for (const [cause, n] of Object.entries(s.missedByCause)) row(`&nbsp;&nbsp;missed: ${cause}`, n);
  row(
    'Faults injected',
    `${r.faults.total}: ${Object.entries(r.faults.byKind)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}`,
  );
  row(layout.partitioned ? 'Leader changes (of a partition lease)' : 'Leader changes', r.leadership.leaderChanges);
  row(
    layout.partitioned
      ? 'Failover time (a leader killed or frozen → each partition it led led by another instance)'
      : 'Failover time (leader killed or frozen → new leader)',
    `max ${ms(r.leadership.maxFailoverMs)} (all: ${r.leadership.failoversMs.join(', ') || '—'})`,
  );
  row('Leaderless after a Redis restart', `max ${ms(r.leadership.maxLeaderlessAfterRedisRestartMs)}`);
  row(
    'Resumed frozen leader steps down',
    `max ${ms(r.leadership.maxStepDownAfterResumeMs)} after SIGCONT; still claiming: ${r.leadership.frozenLeadersStillClaiming}`,
  );
  row(
    'Runs lost with a killed worker',
    `${r.recovery.killedRuns}; re-run elsewhere: ${r.recovery.recovered}, max after ${ms(r.recovery.maxRecoveryMs)}; not re-run: ${r.recovery.unrecovered.length}`,
  );
  row(
    'Schedule back after FLUSHALL / Redis restart',
    `max ${ms(r.recovery.maxWipeRecoveryMs)} (every per-second task running again)`,
  );
  row(
    'Start delay (run start − slot)',
    `p50 ${ms(r.lateness.p50Ms)}, p99 ${ms(r.lateness.p99Ms)}, max ${ms(r.lateness.maxMs)}; away from faults: p50 ${ms(r.lateness.quietP50Ms)}, p99 ${ms(r.lateness.quietP99Ms)}, max ${ms(r.lateness.quietMaxMs)}`,
  );
  row('Start delay p99 by priority', `high ${ms(r.lateness.highP99Ms)}, normal ${ms(r.lateness.normalP99Ms)}`);
  row('Backoff violations (run started before retry_after)', r.backoffViolations.length);
  row(
    'Dynamic tasks',
    `${r.tasks.dynamicCreated} created, ${r.tasks.dynamicDeleted} deleted, ${r.tasks.dynamicWiped} erased by a wipe; known to another instance within ${ms(r.tasks.dynamicPropagationMaxMs)} (max); runs after deletion: ${r.runsAfterDeletion.length}`,
  );
  for (const [kind, analysis] of Object.entries(r.extraFaults ?? {})) {
    row(`Fault ${kind}`, EXTRA_FAULTS[kind]?.describe(analysis) ?? JSON.stringify(analysis));
  }
  row('Process crashes', `**${r.processes.crashes.length}** (${r.processes.started} processes started)`);
  row('Unhandled rejections', `**${r.processes.unhandledRejections.length}**`);
  row(
    'Clean SIGTERM shutdown at the end',
    (r.processes.shutdown ?? [])
      .map((p) => (p.code === 0 || p.signal === 'SIGTERM' ? 'yes' : `no (${p.code}/${p.signal})`))
      .join(', '),
  );
  row('ERROR / WARN log lines', `${r.processes.errorLogLines} / ${r.processes.warnLogLines}`);
  row(
    'API probes',
    `${r.api.total} (${Object.entries(r.api.byStatus)
      .map(([k, n]) => `${n}× ${k}`)
      .join(', ')}); unexpected: ${r.api.unexpected.length}`,
  );
  row(
    'Redis used_memory (warm → end, max)',
    `${r.memory.redisStartMb} → ${r.memory.redisEndMb} MB (max ${r.memory.redisMaxMb} MB)`,
  );
  row(
    'Backlog (max sampled XLEN high / normal, one-off ZCARD)',
    `${num(r.backlog.maxStreamHigh)} / ${num(r.backlog.maxStreamNormal)}, ${num(r.backlog.maxOneoff)}`,
  );
  if (r.final) {
    row('**Runs stuck pending after the drain**', `**${(r.final.pendingHigh ?? 0) + (r.final.pendingNormal ?? 0)}**`);
    row(
      'Redis after the drain',
      `streams ${r.final.streamHigh} + ${r.final.streamNormal} entries, ${num(r.final.pendingHigh)} + ${num(r.final.pendingNormal)} pending, ` +
        `one-off ${r.final.oneoff}, longest history ${r.final.historyMaxLength} (cap ${r.final.historyCap}), ` +
        `history keys without TTL ${r.final.historyKeysWithoutTtl}, ${r.final.keys} keys`,
    );
  }
  lines.push('');
  lines.push(
    'Memory of each instance (RSS after its warm-up → at the end; processes restarted after a SIGKILL start later):',
  );
  lines.push('');
  lines.push('| pid | instance | lived | killed | RSS start → end (max) |');
  lines.push('| --- | --- | --- | --- | --- |');
  for (const i of r.memory.instances) {
    lines.push(
      `| ${i.pid} | #${i.slot} | ${i.lifetimeS} s | ${i.killed ? 'yes' : 'no'} | ${num(i.startRssMb)} → ${num(i.endRssMb)} MB (${num(i.maxRssMb)}) |`,
    );
  }
  lines.push('');
  lines.push('Missed slots, explained:');
  lines.push('');
  if (s.missed === 0) lines.push('- none.');
  for (const [cause, n] of Object.entries(s.missedByCause)) lines.push(`- **${n}** ${cause}: ${WHY[cause] ?? ''}`);
  const faulty = r.faults.list.filter((f) => f.missed);
  if (faulty.length > 0) {
    lines.push('');
    lines.push('Per fault with missed slots:');
    lines.push('');
    for (const f of faulty) {
      const detail = isWipe(f)
        ? `schedule back after ${ms(f.recoveryMs)}${f.downMs ? `, Redis down ${f.downMs} ms` : ''}`
        : `new leader after ${ms(f.failoverMs)}`;
      lines.push(
        `- fault #${f.n} ${f.kind} at +${Math.round((f.at - r.window.from) / 1000)} s: ${f.missed} slots of ${f.missedTasks} tasks, ${detail}.`,
      );
    }
  }
  if (r.backoffViolations.length > 0) {
    lines.push('');
    lines.push('Runs started inside their backoff:');
    lines.push('');
    const at = (t) => `+${((t - r.window.from) / 1000).toFixed(3)} s`;
    for (const b of r.backoffViolations) {
      lines.push(
        `- ${b.task}: slot ${at(b.slot)} started at ${at(b.startedAt)} by pid ${b.startedPid}, ` +
          `${b.startedAt - b.failedAt} ms after failure ${b.consecutive} (slot ${at(b.failedSlot)} attempt ` +
          `${b.failedAttempt}, pid ${b.failedPid}) ended at ${at(b.failedAt)}; backoff ${b.delayMs} ms.`,
      );
    }
  }
  if (v.failures.length > 0) {
    lines.push('');
    lines.push(`**Failed criteria:** ${v.failures.join('; ')}.`);
  }
  return lines.join('\n');
}
