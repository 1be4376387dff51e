// Renders docs/benchmarks.md from the results JSON: the issue's table (ours, BullMQ and cron from the same
// run, ratios ours/BullMQ, targets), the evidence behind every missed target, per-scenario details, the
// machine and versions, and how to reproduce.

import { mark, med, n0, n1, n2, range, ratio, sec, table } from './format.mjs';
import {
  burstDetails,
  capacityDetails,
  loadRows,
  perExecutionRows,
  perRunUs,
  profileEvidence,
  waveFloor,
} from './report-load.mjs';
import { partitionsDetails, partitionsRows } from './report-partitions.mjs';

/** Each row of the main table: cells, target check and the evidence of a miss. */
function rows(report) {
  const S = report.scenarios ?? {};
  const cores = report.environment?.machine?.nproc ?? 2;
  const out = [];

  // 1. idle
  const idle = S.idle;
  if (idle && !idle.error) {
    const oursBy = Object.fromEntries((idle.ours ?? []).filter((r) => !r.error).map((r) => [r.tasks, r]));
    const bullBy = Object.fromEntries((idle.bullmq ?? []).filter((r) => !r.error).map((r) => [r.tasks, r]));
    const sizes = Object.keys(oursBy)
      .map(Number)
      .sort((a, b) => a - b);
    const ref = oursBy[10000] ?? oursBy[sizes[sizes.length - 1]];
    const bullRef = bullBy[10000] ?? bullBy[Math.max(...Object.keys(bullBy).map(Number))];
    const all = sizes.map((t) => oursBy[t].commandsPerSecond);
    const ok = all.length > 0 && Math.max(...all) <= 2;
    out.push({
      scenario: `idle Redis cmds/s, ${n0(ref?.tasks)} registered tasks, none due (${idle.params?.windowS} s window)`,
      bullmq: bullRef
        ? `${n2(bullRef.commandsPerSecond)} (${Object.values(bullBy)
            .map((r) => `${n0(r.tasks)}: ${n2(r.commandsPerSecond)}`)
            .join(', ')})`
        : '—',
      cron: 'n/a',
      ours: `**${n2(ref?.commandsPerSecond)}** (${sizes.map((t) => `${n0(t)}: ${n2(oursBy[t].commandsPerSecond)}`).join(', ')})`,
      target: '≤ 2, flat from 0 to 100k tasks',
      ratio: ratio(ref?.commandsPerSecond, bullRef?.commandsPerSecond),
      ok,
      evidence: ok
        ? null
        : `Idle commands/s by command (ours): ${sizes
            .map(
              (t) =>
                `${n0(t)} tasks: ${oursBy[t].perCommand
                  .slice(0, 8)
                  .map((c) => `${c.command} ${n2(c.perSecond)}/s`)
                  .join(', ')}`,
            )
            .join('; ')}. ` +
          "What it would take: the leader's lease renewal (a script and its GETEX every `leaderHeartbeatInterval`, " +
          '3 s by default: 0.67/s, the price of a failover within 10 s; every other one also records its heartbeat ' +
          'and reads the oldest) and the blocking read of the run streams (XREADGROUP every `streamBlockMs`, 5 s: ' +
          '0.2/s) are most of it. Reading for 30 s while nothing is held would save 0.17/s (a reply lost with the ' +
          'blocking connection then waits that long to be read again); the orphan-run sweep (two XPENDING every 1.5 ' +
          "lease TTLs) could ride on the leader's renewal; the 30 s pass's peek at the schedule is the scheduler's " +
          'safety net (docs/simulation.md, finding 4).',
    });
  }

  // 2. lateness
  const lat = S.lateness;
  if (lat && !lat.error) {
    const o = lat.summary.ours;
    const b = lat.summary.bullmq;
    const c = lat.summary.cron;
    const ok = med(o.latencyP50) !== null && med(o.latencyP50) <= 5 && med(o.latencyP99) <= 20;
    const publish = (lat.runs.ours ?? []).filter((r) => r.publishLatenessMs?.n);
    out.push({
      scenario: `lateness (handler start − slot), ${n0(lat.params.tasks)} per-second tasks, p50 / p99`,
      bullmq: `${range(b.latencyP50, n1)} / ${range(b.latencyP99, n1)} ms`,
      cron: `${range(c.latencyP50, n1)} / ${range(c.latencyP99, n1)} ms`,
      ours: `**${range(o.latencyP50, n1)} / ${range(o.latencyP99, n1)} ms**`,
      target: '≤ 5 / ≤ 20 ms',
      ratio: `${ratio(med(o.latencyP50), med(b.latencyP50))} / ${ratio(med(o.latencyP99), med(b.latencyP99))}`,
      ok,
      evidence: ok
        ? null
        : `Split of our lateness (stream entry ids give the Redis time of each XADD): slot → publish p50/p99 ${publish
            .map((r) => `${n1(r.publishLatenessMs.p50)}/${n1(r.publishLatenessMs.p99)}`)
            .join(
              ', ',
            )} ms; slot → handler start p50/p99 ${publish.map((r) => `${n1(r.latenessMs.p50)}/${n1(r.latenessMs.p99)}`).join(', ')} ms (per run). The rest is publish → XREADGROUP wake-up → start-runs script → handler.`,
    });
  }

  // 3. throughput
  const thr = S.throughput;
  if (thr && !thr.error) {
    const o = thr.summary.ours;
    const b = thr.summary.bullmq;
    const tasks = thr.params.tasks;
    const ok = med(o.runsPerSecond) >= tasks * 0.995 && o.missedRuns.max === 0 && med(o.latencyP99) <= 250;
    out.push({
      scenario: `${n0(tasks)} per-second tasks, 1 instance: runs/s, missed, p99`,
      bullmq: `${range(b.runsPerSecond, n0, '/s')}, ${range(b.missedPercent, n2, ' %')} missed, p99 ${range(b.latencyP99, n0, ' ms')}`,
      cron: 'n/a',
      ours: `**${range(o.runsPerSecond, n0, '/s')}, ${range(o.missedPercent, n2, ' %')} missed, p99 ${range(o.latencyP99, n0, ' ms')}**`,
      target: `${n0(tasks)}/s, 0 missed, p99 ≤ 250 ms`,
      ratio: `p99 ${ratio(med(o.latencyP99), med(b.latencyP99))}`,
      ok,
      evidence: ok
        ? null
        : `${profileEvidence(S.profile)} During the windows: engine CPU ${range(o.cpuPercentTotal, n0, ' %')}, Redis CPU ${range(o.redisCpuPercent, n0, ' %')}, other processes on the machine ${range(o.otherCpuPercent, n0, ' %')} (100 % = one of the 2 cores).` +
          `${waveFloor({ runs: tasks, perRunUs: perRunUs(o), cores, targetMs: 250 })} What it would take: every second's ${n0(tasks)} runs are one wave, and its last runs wait for the CPU the earlier ones use; the wave also waits on round trips (publish, read, start), so the per-run cost (engine and Redis CPU per execution, rows below) has to fall well under that budget.`,
    });
  }

  out.push(...perExecutionRows(S));

  // 4. cluster
  const cl = S.cluster;
  if (cl && !cl.error) {
    const o = cl.summary.ours;
    const tasks = cl.params.tasks;
    const ok = med(o.runsPerSecond) >= tasks * 0.995 && o.missedRuns.max === 0 && med(o.latencyP99) <= 250;
    out.push({
      scenario: `${n0(tasks)} per-second tasks, ${cl.params.instances} instances`,
      bullmq: '— (not measured)',
      cron: 'n/a',
      ours: `**${range(o.runsPerSecond, n0, '/s')}, ${range(o.missedPercent, n2, ' %')} missed, p99 ${range(o.latencyP99, n0, ' ms')}**`,
      target: `${n0(tasks)}/s, 0 missed, p99 ≤ 250 ms`,
      ratio: '—',
      ok,
      evidence: ok
        ? null
        : `CPU: ours ${range(o.cpuPercentTotal, n0, ' %')} summed over the ${cl.params.instances} processes, Redis ${range(o.redisCpuPercent, n0, ' %')}, other processes on the machine ${range(o.otherCpuPercent, n0, ' %')} (100 % = one of the 2 cores); ${range(o.commandsPerExecution, n2)} Redis commands per execution. See the profile below.` +
          `${waveFloor({ runs: tasks, perRunUs: perRunUs(o), cores, targetMs: 250 })} What it would take: the three instances and Redis share ${cores} cores, so the wave's floor is CPU per run, as with one instance: per-run cost has to fall under that budget, or the instances need cores of their own.`,
    });
  }

  out.push(...loadRows(S, cores));
  out.push(...partitionsRows(S));

  // 5. commands
  const cmd = S.commands;
  if (cmd && !cmd.error) {
    const parts = ['lateness', 'throughput'].filter((k) => cmd[k]);
    const oursVals = parts.map((k) => med(cmd[k].ours.commandsPerExecution));
    const ok = oursVals.length > 0 && Math.max(...oursVals) <= 8;
    const cell = (system) =>
      parts.map((k) => `${range(cmd[k][system].commandsPerExecution, n1)} (${n0(cmd[k].tasks)} tasks)`).join('; ');
    out.push({
      scenario: 'Redis commands per execution (server side, Lua calls included)',
      bullmq: cell('bullmq'),
      cron: 'n/a',
      ours: `**${cell('ours')}**`,
      target: '≤ 8',
      ratio: parts
        .map((k) => ratio(med(cmd[k].ours.commandsPerExecution), med(cmd[k].bullmq.commandsPerExecution)))
        .join('; '),
      ok,
      evidence: ok
        ? null
        : parts
            .map(
              (k) =>
                `${n0(cmd[k].tasks)} tasks, ours per execution: ${(cmd[k].ours.breakdown?.perCommand ?? [])
                  .filter((c) => c.perExecution >= 0.05)
                  .map((c) => `${c.command} ${n2(c.perExecution)}`)
                  .join(', ')}`,
            )
            .join('. ') + '.',
    });
  }

  // 6. memory
  const mem = S.memory;
  if (mem && !mem.error) {
    const o = mem.ours.bytesPerTask;
    const b = mem.bullmq.bytesPerTask;
    const ok = med(o) !== null && med(o) <= 300;
    out.push({
      scenario: `Redis memory per registered task (no history), ${n0(mem.params.tasks)} tasks`,
      bullmq: range(b, n0, ' B'),
      cron: 'n/a',
      ours: `**${range(o, n0, ' B')}**`,
      target: '≤ 300 B',
      ratio: ratio(med(o), med(b)),
      ok,
      evidence: ok
        ? null
        : `Keys (ours, ${n0(mem.params.tasks)} tasks): ${(mem.ours.runs.find((r) => r.keys)?.keys ?? []).map((k) => `${k.key} ${n0(k.bytes)} B`).join(', ')}.`,
    });
  }

  // 7. failover
  const fo = S.failover;
  if (fo && !fo.error) {
    const d = fo.defaults?.firstPublishMs;
    const t = fo.tuned?.firstPublishMs;
    const okD = d ? d.max !== null && d.max <= 10_000 : null;
    const okT = t ? t.max !== null && t.max <= 2000 : null;
    const ok = okD !== false && okT !== false && (okD !== null || okT !== null);
    out.push({
      scenario: 'leader failover (SIGKILL → first publish by the new leader): defaults; tuned',
      bullmq: 'n/a (no leader)',
      cron: 'n/a',
      ours: `**${d ? range(d, (v) => n2(v / 1000), ' s') : '—'}; ${t ? range(t, (v) => n2(v / 1000), ' s') : '—'}** (tuned: ${JSON.stringify(fo.tuned?.options ?? {})})`,
      target: '≤ 10 s; ≤ 2 s with tuned settings',
      ratio: '—',
      ok,
      evidence: ok
        ? null
        : `Trials (ms after the kill: first publish / new leader): ${['defaults', 'tuned']
            .filter((k) => fo[k])
            .map(
              (k) =>
                `${k}: ${fo[k].trials.map((x) => (x.error ? 'error' : `${x.firstPublishMs}/${x.newLeaderMs}`)).join(', ')}`,
            )
            .join('; ')}.`,
    });
  }

  // 8. recovery
  const rc = S.recovery;
  if (rc && !rc.error) {
    const o = rc.ours.reExecutedAfterMs;
    const ok = o.max !== null && o.max <= 11_000 && rc.ours.liveDuplicates === 0;
    out.push({
      scenario: 'killed run re-executed elsewhere (defaults)',
      bullmq: rc.bullmq ? range(rc.bullmq.reExecutedAfterMs, (v) => n1(v / 1000), ' s') : '—',
      cron: 'n/a',
      ours: `**${range(o, (v) => n2(v / 1000), ' s')}**, live duplicates: ${rc.ours.liveDuplicates}`,
      target: '≤ 3 × heartbeat + 2 s (11 s), never a live run',
      ratio: rc.bullmq ? ratio(med(o), med(rc.bullmq.reExecutedAfterMs)) : '—',
      ok,
      evidence: ok
        ? null
        : `Trials: ${rc.ours.trials.map((x) => (x.error ? `error (${x.error.split('\n')[0]})` : `${x.reExecutedAfterMs} ms${x.liveDuplicate ? ' LIVE DUPLICATE' : ''}`)).join(', ')}.`,
    });
  }

  // 9. list
  const ls = S.list;
  if (ls && !ls.error) {
    const ok = med(ls.ms) !== null && med(ls.ms) <= 150;
    out.push({
      scenario: `GET /tasks with ${n0(ls.params.tasks)} tasks${ls.method.startsWith('HTTP') ? '' : ' (measured: TaskManagerService.getTasks())'}`,
      bullmq: '—',
      cron: 'n/a',
      ours: `**${range(ls.ms, n1, ' ms')}** (first call ${n1(ls.firstCallMs)} ms)`,
      target: '≤ 150 ms',
      ratio: '—',
      ok,
      evidence: ok
        ? null
        : `${ls.method}: ${ls.ms.values.map(n1).join(', ')} ms${ls.serviceMs ? `; of which TaskManagerService.getTasks() (registry + one round trip reading the states) ${range(ls.serviceMs, n1, ' ms')}, the rest being the controller's mapping, JSON serialisation of ${n0((ls.responseBytes ?? 0) / 1024)} KiB and HTTP` : ''}.`,
    });
  }
  const pg = ls?.paged;
  if (pg && !pg.error) {
    const ok = med(pg.ms) !== null && med(pg.ms) <= 20;
    out.push({
      scenario: `GET /tasks?limit=${pg.params.limit} with ${n0(pg.params.tasks)} tasks${pg.method.startsWith('HTTP') ? '' : ' (measured: TaskManagerService.getTasks())'}`,
      bullmq: '—',
      cron: 'n/a',
      ours: `**${range(pg.ms, n1, ' ms')}**`,
      target: '≤ 20 ms',
      ratio: '—',
      ok,
      evidence: ok
        ? null
        : `${pg.method}, ${pg.ms.n} pages from offset 0 to the last: ${pg.ms.values.map(n1).join(', ')} ms.`,
    });
  }

  // 10. startup: one row per target (10,000 tasks ≤ 2 s, 100,000 tasks ≤ 5 s), else the largest size ≤ 2 s
  const st = S.startup;
  if (st && !st.error) {
    const sizes = Object.keys(st.ours)
      .map(Number)
      .sort((a, b) => a - b);
    const targets = [
      [10_000, 2000],
      [100_000, 5000],
    ].filter(([tasks]) => sizes.includes(tasks));
    if (targets.length === 0) targets.push([sizes[sizes.length - 1], 2000]);
    for (const [tasks, targetMs] of targets) {
      const big = st.ours[tasks];
      const ok = med(big?.spawnToReadyMs) !== null && med(big.spawnToReadyMs) <= targetMs;
      out.push({
        scenario: `startup with ${n0(tasks)} static tasks (process spawn → engine started; → first leader)`,
        bullmq:
          st.bullmq.tasks === tasks
            ? `upsert ${n0(st.bullmq.tasks)} schedulers: ${range(st.bullmq.upsertMs, (v) => n2(v / 1000), ' s')}`
            : '—',
        cron: 'n/a',
        ours: `**${range(big?.spawnToReadyMs, (v) => n2(v / 1000), ' s')}; ${range(big?.spawnToLeaderMs, (v) => n2(v / 1000), ' s')}**`,
        target: `≤ ${targetMs / 1000} s`,
        ratio: '—',
        ok,
        evidence: ok
          ? null
          : `Breakdown (medians): spawn → process start ${n0(med(big.spawnToProcessStartMs))} ms, imports ${n0(med(big.importMs))} ms (${big.importLibraryMs ? `Nest ${n0(med(big.importNestMs))} ms, then the library ${n0(med(big.importLibraryMs))} ms` : 'Nest and the library'}), Nest boot + discovery + engine start ${n0(med(big.nestBootMs))} ms${st.ours[0] ? `; with 0 tasks the same boot takes ${n0(med(st.ours[0].spawnToReadyMs))} ms` : ''}.`,
      });
    }
  }
  return out;
}

function periodicDetails(title, s) {
  if (!s) return '';
  if (s.error) return `### ${title}\n\nFailed: ${s.error.split('\n')[0]}\n`;
  const lines = [];
  for (const [system, runs] of Object.entries(s.runs)) {
    runs.forEach((r, i) => {
      if (r.error) {
        lines.push([system, i + 1, 'error', r.error.split('\n')[0].slice(0, 80), '', '', '', '', '', '', '', '']);
        return;
      }
      lines.push([
        system,
        i + 1,
        n0(r.runsPerSecond),
        `${r.missedRuns} / ${n0(r.expectedRuns)}`,
        r.duplicateRuns,
        `${n1(r.latenessMs.p50)} / ${n1(r.latenessMs.p90)} / ${n1(r.latenessMs.p99)} / ${n1(r.latenessMs.max)}`,
        r.publishLatenessMs ? `${n1(r.publishLatenessMs.p50)} / ${n1(r.publishLatenessMs.p99)}` : '—',
        r.processes.map((p) => `${n0(p.cpuPercent)} %`).join(' + '),
        r.processes.map((p) => `${n0(p.rssMB)}`).join(' + '),
        r.redis ? `${n0(r.redis.cpuPercent)} %` : '—',
        r.otherCpuPercent === null || r.otherCpuPercent === undefined ? '—' : `${n0(r.otherCpuPercent)} %`,
        r.redis ? `${n2(r.redis.commandsPerExecution)} (${n0(r.redis.commandsPerSecond)}/s)` : '—',
      ]);
    });
  }
  const p = s.params;
  return `### ${title}

${n0(p.tasks)} tasks on \`* * * * * *\` (all due at the same second), ${p.instances ? `${p.instances} instances of ours, ` : ''}concurrency ${n0(p.concurrency)} for ours (\`concurrentTasks\`${p.instances ? ' of each instance' : ''})${Object.keys(s.runs).includes('bullmq') ? ' and BullMQ (Worker `concurrency`)' : ''}; ${p.runs} run(s) per system, interleaved; each run: fresh key prefix, start, ${p.warmupS} s warm-up, a ${p.windowS} s window of whole seconds, then late runs of the window's slots are still collected (until all started, or none for ${p.graceMs} ms, at most 30 s), teardown. Lateness = handler start − slot (ours: \`ctx.scheduledAt\`; BullMQ: \`job.opts.prevMillis\`, the slot the scheduler created the job for; cron: the second the tick fired in). Missed = (task, slot) pairs of the window never started; runs/s = handler starts per second of the window. CPU in % of one core (2 cores = 200 %); "other processes CPU" is what the rest of the machine used during the window (from /proc/stat, minus the processes under test and Redis): the machine is shared, and a busy neighbour slows every system.

${table(
  [
    'system',
    'run',
    'runs/s',
    'missed',
    'dup.',
    'lateness p50 / p90 / p99 / max (ms)',
    'slot → publish p50 / p99 (ms)',
    'CPU per process',
    'RSS MB',
    'Redis CPU',
    'other processes CPU',
    'cmds/exec (cmds/s)',
  ],
  lines,
)}
`;
}

function details(report) {
  const S = report.scenarios ?? {};
  const parts = [];

  if (S.idle && !S.idle.error) {
    const lines = [];
    for (const system of ['ours', 'bullmq']) {
      for (const r of S.idle[system] ?? []) {
        if (r.error) {
          lines.push([system, n0(r.tasks), 'error', r.error.split('\n')[0].slice(0, 80), '', '', '', '']);
          continue;
        }
        lines.push([
          system,
          n0(r.tasks),
          `**${n2(r.commandsPerSecond)}**`,
          r.perCommand
            .slice(0, 8)
            .map((c) => `${c.command} ${n2(c.perSecond)}`)
            .join(', '),
          `${n1(r.process.cpuPercent)} %`,
          n0(r.process.rssMB),
          n2(r.usedMemoryMB),
          sec(r.setupMs),
        ]);
      }
    }
    parts.push(`### 1. Idle Redis load

Tasks registered, none due (ours: one \`@Task\` with a kwargs list on \`0 0 1 1 *\`; BullMQ: job schedulers with pattern \`0 0 1 1 *\` and a Worker). One process per system. After ${S.idle.params.warmupS} s of warm-up, INFO commandstats deltas over ${S.idle.params.windowS} s (as long as the longest periodic pass of either system: our reconciliation and BullMQ's stalled-jobs check both run every 30 s by default). Every command counts, including those run inside Lua scripts.

${table(['system', 'tasks', 'cmds/s', 'per command (calls/s)', 'process CPU', 'RSS MB', 'Redis used_memory MB', 'setup'], lines)}
`);
  }
  parts.push(periodicDetails('2. Lateness', S.lateness));
  parts.push(periodicDetails('3. Throughput, 1 instance', S.throughput));
  parts.push(periodicDetails('4. Throughput, several instances (ours)', S.cluster));
  parts.push(burstDetails(S.burst));
  parts.push(capacityDetails(S.capacity));
  parts.push(partitionsDetails(S.partitions));

  const cmd = S.commands;
  if (cmd && !cmd.error) {
    const blocks = [];
    for (const k of ['lateness', 'throughput']) {
      if (!cmd[k]) continue;
      const rowsOf = (system) => (cmd[k][system].breakdown?.perCommand ?? []).filter((c) => c.perExecution >= 0.01);
      const names = [...new Set([...rowsOf('ours'), ...rowsOf('bullmq')].map((c) => c.command))];
      const get = (system, name) => rowsOf(system).find((c) => c.command === name)?.perExecution;
      names.sort((a, b) => (get('ours', b) ?? 0) - (get('ours', a) ?? 0));
      blocks.push(`During scenario ${k === 'lateness' ? 2 : 3} (${n0(cmd[k].tasks)} per-second tasks; ${n0(cmd[k].ours.breakdown?.executions)} executions of ours, ${n0(cmd[k].bullmq.breakdown?.executions)} of BullMQ):

${table(
  ['command', 'ours per execution', 'BullMQ per execution'],
  [
    ...names.map((name) => [name, n2(get('ours', name)), n2(get('bullmq', name))]),
    [
      '**total**',
      `**${n2(cmd[k].ours.breakdown?.commandsPerExecution)}**`,
      `**${n2(cmd[k].bullmq.breakdown?.commandsPerExecution)}**`,
    ],
  ],
)}`);
    }
    parts.push(`### 5. Redis commands per execution

Server side: INFO commandstats deltas over the measurement windows divided by the executions started in them. A script call counts once as EVALSHA (or EVAL) plus once per command it runs; background commands (heartbeats, renewals) are included.

${blocks.join('\n\n')}
`);
  }

  const mem = S.memory;
  if (mem && !mem.error) {
    const keyTable = (system) => {
      const keys = mem[system].runs.find((r) => r.keys)?.keys ?? [];
      return keys.length
        ? table(
            ['key', 'type', 'keys', 'bytes (MEMORY USAGE)'],
            keys.map((k) => [`\`${k.key}\``, k.type, n0(k.keys), n0(k.bytes)]),
          )
        : '';
    };
    parts.push(`### 6. Redis memory per registered task

used_memory with ${n0(mem.params.tasks)} tasks registered minus used_memory with 0 tasks (same process and connections, ${mem.params.settleMs} ms after the engine started), divided by ${n0(mem.params.tasks)}; ${mem.params.runs} run(s). The tasks never run, so there is no history. Dataset-only (used_memory_dataset) delta: ours ${range(mem.ours.datasetBytesPerTask, n0, ' B')}, BullMQ ${range(mem.bullmq.datasetBytesPerTask, n0, ' B')}.

Ours, keys with ${n0(mem.params.tasks)} tasks:

${keyTable('ours')}

BullMQ, keys with ${n0(mem.params.tasks)} schedulers (\`t#N\` = one key per scheduler or job):

${keyTable('bullmq')}
`);
  }

  const fo = S.failover;
  if (fo && !fo.error) {
    const lines = [];
    for (const k of ['defaults', 'tuned']) {
      if (!fo[k]) continue;
      fo[k].trials.forEach((t, i) =>
        lines.push([
          k,
          i + 1,
          t.error ? 'error' : n0(t.firstPublishMs),
          t.error ? t.error.split('\n')[0].slice(0, 80) : n0(t.newLeaderMs),
        ]),
      );
    }
    parts.push(`### 7. Leader failover

Two instances with one per-second task. The leader (read from the lease key) is SIGKILLed at a random phase of its heartbeat, away from second boundaries; the first run published after the kill is read from the run stream (its entry id is the Redis time of the XADD); the new leader's own report of its leadership is also given. Tuned settings: ${JSON.stringify(fo.tuned?.options ?? {})}. BullMQ has no leader: any worker promotes delayed jobs.

${table(['settings', 'trial', 'kill → first publish (ms)', 'kill → new leader (ms)'], lines)}
`);
  }

  const rc = S.recovery;
  if (rc && !rc.error) {
    const lines = rc.ours.trials.map((t, i) => [
      'ours',
      i + 1,
      t.error ? 'error' : n0(t.reExecutedAfterMs),
      t.error
        ? t.error.split('\n')[0].slice(0, 80)
        : `${t.liveDuplicate ? 'YES' : 'no'}${t.runnerWasLeader ? ' (runner was the leader)' : ''}`,
    ]);
    for (const [i, t] of (rc.bullmq?.trials ?? []).entries())
      lines.push([
        'BullMQ',
        i + 1,
        t.error ? 'error' : n0(t.reExecutedAfterMs),
        t.error ? t.error.split('\n')[0].slice(0, 80) : '',
      ]);
    parts.push(`### 8. Killed run re-executed elsewhere

Ours: three instances with default timings (running heartbeat ${rc.params.options?.runningHeartbeatInterval ?? 3} s, lease 3 × that) and \`concurrentTasks: 1\`; a 120 s task is triggered twice, so its two runs start on two instances, at least one a follower; that follower is SIGKILLed ${rc.params.holdMs} ms later (so failover is not part of the figure); measured: kill → the run's start on another instance; also checked: no other instance started it while it was alive. BullMQ (defaults: lockDuration 30 s, stalledInterval 30 s): a long job on two workers, the same kill.

${table(['system', 'trial', 'kill → restarted elsewhere (ms)', 'started twice while alive?'], lines)}
`);
  }

  const ls = S.list;
  if (ls && !ls.error) {
    parts.push(`### 9. GET /tasks

${ls.method}, ${n0(ls.tasksReturned)} tasks returned${ls.responseBytes ? ` (${n0(ls.responseBytes / 1024)} KiB of JSON)` : ''}, ${ls.params.calls} calls: first ${n1(ls.firstCallMs)} ms, then ${ls.ms.values.map(n1).join(', ')} ms.${ls.serviceMs ? ` The same listing through \`TaskManagerService.getTasks()\` inside the app (registry + one round trip reading the states, no HTTP, DTO mapping or JSON): ${range(ls.serviceMs, n1, ' ms')}.` : ''}${ls.note ? ` Note: ${ls.note}.` : ''}
${
  ls.paged && !ls.paged.error
    ? `
One page: ${ls.paged.method} on an app with ${n0(ls.paged.params.tasks)} tasks, ${ls.paged.tasksReturned} tasks returned, ${ls.paged.ms.n} pages at offsets spread from the first page to the last (after one uncounted first page): ${ls.paged.ms.values.map(n1).join(', ')} ms.${ls.paged.note ? ` Note: ${ls.paged.note}.` : ''}
`
    : ''
}${
      ls.profile
        ? `
CPU profile of the app process over the calls (${n0(ls.profile.sampledMs)} ms of samples), self time by module:

${table(
  ['module', 'ms', '%'],
  ls.profile.byModule.slice(0, 10).map((m) => [m.name, n0(m.ms), n1(m.percent)]),
)}

Top functions by self time:

${table(
  ['function', 'ms', '%'],
  ls.profile.bySelfTime.slice(0, 12).map((m) => [`\`${m.name}\``, n0(m.ms), n1(m.percent)]),
)}

Library functions by inclusive time:

${table(
  ['function', 'ms', '%'],
  ls.profile.libraryInclusive.slice(0, 10).map((m) => [`\`${m.name}\``, n0(m.ms), n1(m.percent)]),
)}
`
        : ''
    }`);
  }

  const st = S.startup;
  if (st && !st.error) {
    const lines = [];
    for (const [tasks, s] of Object.entries(st.ours)) {
      lines.push([
        `ours, ${n0(Number(tasks))} tasks`,
        range(s.spawnToReadyMs, n0),
        range(s.spawnToLeaderMs, n0),
        range(s.spawnToProcessStartMs, n0),
        s.importLibraryMs?.median !== undefined && s.importLibraryMs.median !== null
          ? `${range(s.importNestMs, n0)} + ${range(s.importLibraryMs, n0)}`
          : range(s.importMs, n0),
        range(s.nestBootMs, n0),
        range(s.rssMB, n0),
      ]);
    }
    parts.push(`### 10. Startup

A process with N static tasks (one \`@Task\` with a kwargs list): harness spawn → \`app.init()\` resolved (tasks discovered, schedule registered, consumer and election started) → the instance reports leadership. Marks taken inside the process split it: spawn → Node running the first line, imports (Nest, the library), Nest boot with discovery and engine start. ${st.params.runs} run(s).

${table(['', 'spawn → ready (ms)', 'spawn → leader (ms)', 'spawn → process start', 'imports: Nest + the library', 'Nest boot + engine', 'RSS MB'], lines)}

BullMQ: upserting ${n0(st.bullmq.tasks)} job schedulers (\`Promise.all\` of 1,000 at a time) takes ${range(st.bullmq.upsertMs, n0, ' ms')}; spawn → Worker ready after the upsert ${range(st.bullmq.spawnToWorkerReadyMs, n0, ' ms')}.
${
  st.profile
    ? `
One more start with ${n0(st.profile.tasks)} tasks under \`node --cpu-prof\` (whole process life, boot included; not counted above). Self time by module (module loading and compiling shows as node internals):

${table(
  ['module', 'ms', '%'],
  st.profile.byModule.slice(0, 10).map((m) => [m.name, n0(m.ms), n1(m.percent)]),
)}

Library functions by inclusive time (module top levels included):

${table(
  ['function', 'ms', '%'],
  st.profile.libraryInclusive.slice(0, 12).map((m) => [`\`${m.name}\``, n0(m.ms), n1(m.percent)]),
)}
`
    : ''
}`);
  }

  const sw = S.sweep;
  if (sw && !sw.error) {
    parts.push(`### Concurrency sweep (optional scenario)

The scenario-3 load (${n0(sw.params.tasks)} per-second tasks, 1 instance) at several consumer concurrencies, one ${sw.params.windowS} s window each (measured ${sw.measuredAt?.slice(0, 16) ?? ''}).

${table(
  ['system', 'concurrency', 'runs/s', 'missed', 'lateness p50 / p99 (ms)', 'process CPU', 'Redis CPU', 'cmds/exec'],
  sw.runs.map((r) =>
    r.error
      ? [r.system, n0(r.concurrency), 'error', r.error.split('\n')[0].slice(0, 60), '', '', '', '']
      : [
          r.system,
          n0(r.concurrency),
          n0(r.runsPerSecond),
          `${n2(r.missedPercent)} %`,
          `${n0(r.latenessMs.p50)} / ${n0(r.latenessMs.p99)}`,
          `${n0(r.cpuPercent)} %`,
          `${n0(r.redisCpuPercent)} %`,
          n2(r.commandsPerExecution),
        ],
  ),
)}
`);
  }

  const pr = S.profile;
  if (pr && !pr.error && pr.cpu) {
    parts.push(`### Profile of our engine under the scenario-3 load

${n0(pr.params.tasks)} per-second tasks, 1 instance, concurrency ${n0(pr.params.concurrency)}, profiled over the measurement window (${pr.measurement.note}: ${n0(pr.measurement.runsPerSecond)} runs/s, ${pr.measurement.missedRuns} missed, lateness p50 ${n1(pr.measurement.latenessMs.p50)} ms, p99 ${n1(pr.measurement.latenessMs.p99)} ms, engine CPU ${n0(pr.measurement.cpuPercent)} %, Redis CPU ${n0(pr.measurement.redisCpuPercent)} %). ${n0(pr.cpu.sampledMs)} ms of samples.

Self time by module:

${table(
  ['module', 'ms', '%'],
  pr.cpu.byModule.map((m) => [m.name, n0(m.ms), n1(m.percent)]),
)}

Top functions by self time:

${table(
  ['function', 'ms', '%'],
  pr.cpu.bySelfTime.slice(0, 20).map((m) => [`\`${m.name}\``, n0(m.ms), n1(m.percent)]),
)}

Library functions by inclusive time (self + callees):

${table(
  ['function', 'ms', '%'],
  pr.cpu.libraryInclusive.slice(0, 15).map((m) => [`\`${m.name}\``, n0(m.ms), n1(m.percent)]),
)}
${
  pr.redisSample
    ? `
Redis side: every command of a ${pr.redisSample.seconds} s sample inside the window (SLOWLOG with a 0 µs threshold; a script's inner commands are inside its EVALSHA time). Redis was busy executing commands ${pr.redisSample.redisBusyPercent} % of the sample.

${table(
  ['command / script', 'calls/s', 'µs per call', 'max µs', '% of Redis time'],
  pr.redisSample.commands
    .slice(0, 15)
    .map((c) => [`\`${c.command}\``, n1(c.callsPerSecond), n1(c.usecPerCall), n0(c.maxUsec), n1(c.shareOfRedisTime)]),
)}
${
  pr.redisSample.insideScripts?.length
    ? `
Commands run inside the scripts (their time is part of the scripts' above):

${table(
  ['command', 'calls/s', 'µs per call', 'max µs', '% of script time'],
  pr.redisSample.insideScripts
    .slice(0, 15)
    .map((c) => [`\`${c.command}\``, n1(c.callsPerSecond), n1(c.usecPerCall), n0(c.maxUsec), n1(c.shareOfRedisTime)]),
)}
`
    : ''
}`
    : ''
}`);
  }
  return parts.filter(Boolean).join('\n');
}

export function renderMarkdown(report) {
  const env = report.environment ?? {};
  const v = env.versions ?? {};
  const m = env.machine ?? {};
  const all = rows(report);
  const missed = all.filter((r) => r.ok === false);
  const S = report.scenarios ?? {};
  const stale = Object.entries(S).filter(([, s]) => s.libraryDist && v.libraryDist && s.libraryDist !== v.libraryDist);
  const perScenario = Object.entries(S)
    .filter(([, s]) => s.measuredAt)
    .map(
      ([k, s]) =>
        `${k} ${s.measuredAt.slice(11, 16)}${s.durationS !== undefined ? ` (${n0(s.durationS)} s` : ' ('}${s.loadAverage ? `, load ${s.loadAverage[0]}→${s.loadAverage[1]}` : ''})`,
    )
    .join(', ');
  const when = [
    ...new Set(
      Object.values(S)
        .map((s) => s.measuredAt?.slice(0, 10))
        .filter(Boolean),
    ),
  ].join(', ');
  return `# Benchmarks

Generated by \`npm run bench\` (\`bench/run.mjs\`); do not edit by hand. Our engine, BullMQ job schedulers and the
\`cron\` package (what \`@nestjs/schedule\` uses, in-process: the single-process floor) measured **in the same run, on
the same private redis-server**${report.profile === 'smoke' ? ' — **smoke sizes, not real figures**' : ''}. Medians
with min–max over the runs in parentheses. Benchmarks report; they never fail.

- Date: ${env.date ?? '—'}${when && !when.includes(env.date?.slice(0, 10) ?? '-') ? ` (scenarios measured on ${when})` : ''}
- Machine: ${m.nproc} cores (\`nproc\`), ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.platform}; Redis, the engine processes and the load generators share the cores
- Versions: Node ${v.node}, ${v.server ?? `Redis ${v.redisServer}`}, nestjs-task-manager ${v.library} (commit ${v.libraryCommit}, dist ${v.libraryDist}), bullmq ${v.bullmq}, cron ${v.cron}, ioredis ${v.ioredis}, @nestjs/core ${v.nestCore}
- Server measured: ${v.server ?? `Redis ${v.redisServer}`}, ${report.redis ?? '—'} (\`--save '' --appendonly no\`): the figures are for this server only (the tests also run on Redis 8 and Valkey 8: README, supported servers); the last full \`npm run bench\` took ${report.fullRunDurationS ? `${n0(report.fullRunDurationS)} s` : '—'}${report.lastRunDurationS && report.lastRunDurationS !== report.fullRunDurationS ? ` (scenarios re-run since: see their times)` : ''}
${perScenario ? `- Scenarios (finished at, UTC; duration; 1-min load average at start → end, 2 = both cores busy): ${perScenario}\n` : ''}${stale.length ? `- **Warning**: the built library was not the same for every scenario (it was rebuilt during or between runs): ${stale.map(([k, s]) => `${k} ${s.libraryDist}`).join(', ')}.\n` : ''}
## Results

| scenario | BullMQ ${v.bullmq} | cron ${v.cron} in-process | **ours** | our target | ours/BullMQ | target |
|---|---|---|---|---|---|---|
${all.map((r) => `| ${r.scenario} | ${r.bullmq} | ${r.cron} | ${r.ours} | ${r.target} | ${r.ratio} | ${mark(r.ok)} |`).join('\n')}

Reference figures quoted by the issue (measured earlier on this kind of machine, not re-measured here):
FastAPI Task Manager issues 6,400 idle cmds/s with 10k tasks (a pass takes 5.8 s), 258 / 460 ms lateness
(per-minute tasks), ~500 runs/s, ~15.5 commands per execution, ~14 s failover, 27–57 s recovery (re-running live
tasks), and one round trip per task for GET /tasks.

## Targets missed, and the evidence

${missed.length === 0 ? 'None: every measured target is met.' : missed.map((r) => `- **${r.scenario}**: ours ${r.ours.replace(/\*\*/g, '')}, target ${r.target}. ${r.evidence ?? ''}`).join('\n')}

## Details

${details(report)}
## How to reproduce

Requires \`redis-server\` on PATH (the harness starts a private one on a free port with \`--save '' --appendonly no\`,
so that INFO commandstats and used_memory deltas only see the benchmark, and FLUSHALLs it between runs); scenario 15
also \`redis-cli\` (it starts its own Redis Cluster, and says it was not run without it).

\`\`\`sh
npm ci
npm run bench                      # every scenario (~28–31 min on 2 cores); rewrites docs/benchmarks.md and .json
npm run bench -- <scenario> ...    # some scenarios, by name or number; merged into the existing JSON
node bench/run.mjs --smoke --out /tmp/bench-smoke   # tiny sizes, ~1 min (what test/bench-smoke.e2e-spec.ts runs)
\`\`\`

| # | scenario | command |
|---|---|---|
| 1 | idle Redis commands/s | \`npm run bench -- idle\` |
| 2 | lateness | \`npm run bench -- lateness\` |
| 3 | 5,000 per-second tasks, 1 instance | \`npm run bench -- throughput\` |
| 4 | 10,000 per-second tasks, 3 instances | \`npm run bench -- cluster\` |
| 5 | Redis commands per execution | \`npm run bench -- lateness throughput commands\` (alone: \`npm run bench -- commands\` runs short versions of 2 and 3) |
| 6 | Redis memory per task | \`npm run bench -- memory\` |
| 7 | leader failover | \`npm run bench -- failover\` |
| 8 | killed run re-executed | \`npm run bench -- recovery\` |
| 9 | GET /tasks | \`npm run bench -- list\` |
| 10 | startup | \`npm run bench -- startup\` |
| 13 | aligned burst: 50,000 tasks due at second 0, 1 and 3 instances | \`npm run bench -- burst\` (waits for minute boundaries: ~1 min per run) |
| 14 | capacity: highest per-second task count sustained, 1/2/3 instances | \`npm run bench -- capacity\` (~4 min) |
| 15 | partitions 1 and 6 on a local 3-master Redis Cluster, 3 instances (needs \`redis-cli\`) | \`npm run bench -- partitions\` (~6 min) |
| — | CPU profile + Redis command sample | \`npm run bench -- profile\` (the .cpuprofile is left in a temp dir, path in the JSON) |
| — | concurrency sweep (optional, not in \`all\`, ~2.5 min) | \`npm run bench -- sweep\` |

Options: \`--out DIR\` writes \`DIR/benchmarks.{json,md}\`; \`--runs N\` repeats every scenario N times instead; \`--render\` only rewrites the .md from the .json; \`--redis-url URL\` uses an existing server instead
(it is FLUSHALLed unless \`--no-flush\`, then only the benchmark's keys are deleted; its commandstats then include
other clients). Sizes and durations are in \`bench/lib/params.mjs\`; the systems under test are the processes in
\`bench/workers/\` (ours: a Nest app importing the built \`nestjs-task-manager\`, as a user's app would; BullMQ: Queue +
Worker; cron: one CronJob per task), driven over IPC by the harness.
`;
}
