// Rows and details of the report for the issue-14 load figures: CPU per execution (from scenario 3), the
// aligned burst (scenario 13) and capacity (scenario 14); and the profile summary used as evidence.
import { med, n0, n1, n2, range, ratio, table } from './format.mjs';

const ms2s = (v) => n2(v / 1000);

export function profileEvidence(p) {
  if (!p || p.error || !p.cpu) return 'See the profile section.';
  const mods = p.cpu.byModule
    .filter((m) => m.name !== '(idle)')
    .slice(0, 6)
    .map((m) => `${m.name} ${m.percent} %`)
    .join(', ');
  const redis = p.redisSample
    ? `; Redis busy ${p.redisSample.redisBusyPercent} % of the sample: ${p.redisSample.commands
        .slice(0, 4)
        .map((c) => `${c.command} ${c.shareOfRedisTime} %`)
        .join(', ')}`
    : '';
  return `Engine process CPU profile (self time): ${mods}${redis}.`;
}

/** Where Redis time went, from the profile's SLOWLOG sample. */
function redisSampleEvidence(p) {
  if (!p?.redisSample) return '';
  return ` Where Redis time goes (profile's SLOWLOG sample, busy ${p.redisSample.redisBusyPercent} %): ${p.redisSample.commands
    .slice(0, 5)
    .map((c) => `${c.command} ${c.shareOfRedisTime} % (${n1(c.usecPerCall)} µs × ${n1(c.callsPerSecond)}/s)`)
    .join(', ')}.`;
}

/**
 * What a wave of `runs` runs costs in CPU, and what a time target asks of each run: the engine and Redis spend
 * `perRunUs` µs of CPU per run (engine + Redis), on `cores` cores shared by them, so the last run of the wave
 * cannot start before `runs × perRunUs / cores` even with every core busy; a target of `targetMs` needs each
 * run to cost at most `targetMs × cores / runs`.
 */
export function waveFloor({ runs, perRunUs, cores, targetMs }) {
  if (!(perRunUs > 0) || !(runs > 0) || !(cores > 0)) return '';
  const floorMs = (runs * perRunUs) / cores / 1000;
  const budgetUs = (targetMs * 1000 * cores) / runs;
  return (
    ` CPU floor: ${n0(runs)} runs × ${n1(perRunUs)} µs (engine + Redis CPU per run, measured) on ${cores} cores = ` +
    `${n0(floorMs)} ms before the last run can start, with every core busy and nothing else running; ` +
    `${n0(targetMs)} ms asks for ≤ ${n1(budgetUs)} µs per run in all.`
  );
}

/** Medians of a summary's engine and Redis µs per execution, summed (null when either is unknown). */
export function perRunUs(summary) {
  const engine = med(summary?.engineCpuUsPerExecution);
  const redis = med(summary?.redisCpuUsPerExecution);
  return engine === null || redis === null ? null : engine + redis;
}

/** Engine and Redis CPU per execution at the scenario-3 load (targets ≤ 40 µs and ≤ 30 µs). */
export function perExecutionRows(S) {
  const thr = S.throughput;
  if (!thr || thr.error) return [];
  const o = thr.summary.ours;
  const b = thr.summary.bullmq;
  const tasks = n0(thr.params.tasks);
  const rows = [];
  const engine = med(o.engineCpuUsPerExecution);
  const engineOk = engine === null ? null : engine <= 40;
  rows.push({
    scenario: `engine CPU per execution (µs, ${tasks}/s, 1 instance; process CPU from /proc over the window ÷ runs started in it)`,
    bullmq: range(b.engineCpuUsPerExecution, n1, ' µs'),
    cron: 'n/a',
    ours: `**${range(o.engineCpuUsPerExecution, n1, ' µs')}**`,
    target: '≤ 40 µs',
    ratio: ratio(engine, med(b.engineCpuUsPerExecution)),
    ok: engineOk,
    evidence: engineOk
      ? null
      : `Engine CPU ${range(o.cpuPercentTotal, n0, ' %')} of one core at ${range(o.runsPerSecond, n0, ' runs/s')}. ${profileEvidence(S.profile)} ` +
        'What it would take: the rest is spread thin (no library function holds more than a few % of self time): ' +
        "ioredis building each script call's arguments as strings (`writeUtf8String`, `Command`), garbage " +
        'collection of the objects each run allocates (its held record and AbortController, the handler context, ' +
        'the run events) and the messages to the heartbeat thread. Halving it needs script arguments written as ' +
        'prebuilt buffers and per-run objects created only when used (a signal only for a handler that reads it), ' +
        'not another batch: the round trips are batched already.',
  });
  const redis = med(o.redisCpuUsPerExecution);
  const redisOk = redis === null ? null : redis <= 30;
  rows.push({
    scenario: `Redis CPU per execution (µs, ${tasks}/s; INFO used_cpu_user + used_cpu_sys over the window ÷ runs started)`,
    bullmq: range(b.redisCpuUsPerExecution, n1, ' µs'),
    cron: 'n/a',
    ours: `**${range(o.redisCpuUsPerExecution, n1, ' µs')}**`,
    target: '≤ 30 µs',
    ratio: ratio(redis, med(b.redisCpuUsPerExecution)),
    ok: redisOk,
    evidence: redisOk
      ? null
      : `Redis CPU ${range(o.redisCpuPercent, n0, ' %')} of one core, ${range(o.commandsPerExecution, n2)} commands per execution.${redisSampleEvidence(S.profile)} ` +
        'What it would take: publish, start and completion are each one script call per batch already, so what ' +
        "is left is the commands a run needs inside them: the stream entry and its gates' read (publish), the " +
        'running marker (start), the acknowledgement, state, marker and history entry (completion). Below 30 µs ' +
        'needs fewer writes per run: the running marker only for `allowParallel: false` tasks, state and history ' +
        'in fewer commands, or no history entry for tasks that opt out.',
  });
  return rows;
}

/**
 * What a capacity search sustained: "≥ N/s" when no probe failed (the search stopped at its bound), "< N/s"
 * when none held (down to its lower bound).
 */
const sustained = (r) =>
  r.sustained === 0 && r.firstFailed !== null
    ? `< ${n0(r.firstFailed)}/s`
    : `${r.firstFailed === null ? '≥ ' : ''}${n0(r.sustained)}/s`;

/** The slowest burst run of `summary` entries of `system`, by a summary field. */
const worst = (bu, system, field) =>
  Object.values(bu.summary)
    .filter((s) => s.system === system)
    .map((s) => s[field]?.max)
    .filter((v) => v !== null && v !== undefined)
    .reduce((a, v) => Math.max(a, v), -Infinity);

/** The burst's CPU floor, from its 1-instance run's own cost per run. */
function burstFloor(bu, instances, cores) {
  const run = bu.runs[`ours×${instances}`]?.find((r) => !r.error && r.cpuUsPerExecution);
  const c = run?.cpuUsPerExecution;
  if (!c || c.engine === null || c.redis === null) return '';
  return waveFloor({ runs: bu.params.tasks, perRunUs: c.engine + c.redis, cores, targetMs: 2500 });
}

/** The burst's rows (longest Redis call; slot → last start with 1 and 3 instances) and capacity's row. */
export function loadRows(S, cores = 2) {
  const rows = [];
  const bu = S.burst;
  if (bu && !bu.error) {
    const p = bu.params;
    const [few, many] = [Math.min(...p.instances), Math.max(...p.instances)];
    const s = (system, n) => bu.summary[`${system}×${n}`];
    const longest = (system) => {
      const v = worst(bu, system, 'longestCallUs');
      return Number.isFinite(v) ? v : null;
    };
    const callCell = (system) => {
      const v = longest(system);
      if (v === null) return '—';
      const lat = worst(bu, system, 'latencyMaxMs');
      return `${v <= p.slowlogThresholdUs ? '< ' : ''}${n2(v / 1000)} ms (latency monitor: ${Number.isFinite(lat) ? `${n0(lat)} ms` : '< 1 ms'})`;
    };
    const oursLongest = longest('ours');
    const callOk = oursLongest === null ? null : oursLongest <= 5000;
    rows.push({
      scenario: `longest single Redis call during the burst below (SLOWLOG ≥ ${n0(p.slowlogThresholdUs)} µs and latency monitor, worst of the runs)`,
      bullmq: callCell('bullmq'),
      cron: 'n/a',
      ours: `**${callCell('ours')}**`,
      target: '≤ 5 ms',
      ratio: ratio(oursLongest, longest('bullmq')),
      ok: callOk,
      evidence: callOk
        ? null
        : `Longest calls of ours: ${Object.entries(bu.runs)
            .filter(([k]) => k.startsWith('ours'))
            .flatMap(([k, runs]) =>
              runs
                .filter((r) => r.slowCalls)
                .map(
                  (r) =>
                    `${k}: ${r.slowCalls.top.map((c) => `${c.command} ${n2(c.usec / 1000)} ms`).join(', ')} (${n0(r.slowCalls.overThreshold)} calls ≥ ${n0(p.slowlogThresholdUs)} µs, not counting ${n0(r.slowCalls.insideScripts ?? 0)} inside scripts)`,
                ),
            )
            .join('; ')}. ` +
          'What it would take: the longest calls record or start a slice of runs (`complete-runs` and `start-runs` ' +
          'take at most 64 runs a call, pipelined); in a burst a slice costs several times its steady-state time ' +
          "(compare the profile's µs per call), so slices of 16–32 runs would keep each call under 5 ms, for two to " +
          'four times the script calls per run. The 3-instance figure also counts Redis waiting for a core: three ' +
          'engines and Redis share 2 cores there, and SLOWLOG times a call on the wall clock.',
    });
    const cell = (system) => {
      const a = s(system, few);
      const c = s(system, many);
      if (!a || !c) return '—';
      return `${range(a.lastStartMs, ms2s, ' s')} / ${range(c.lastStartMs, ms2s, ' s')}; p50 ${range(a.p50StartMs, ms2s, ' s')} / ${range(c.p50StartMs, ms2s, ' s')}; missed ${a.missedRuns.max ?? '—'} / ${c.missedRuns.max ?? '—'}; dup. ${a.duplicateRuns.max ?? '—'} / ${c.duplicateRuns.max ?? '—'}`;
    };
    const a = s('ours', few);
    const c = s('ours', many);
    const burstOk =
      !a || !c || med(a.lastStartMs) === null || med(c.lastStartMs) === null
        ? null
        : a.lastStartMs.max <= 2500 &&
          c.lastStartMs.max <= 2000 &&
          a.missedRuns.max === 0 &&
          c.missedRuns.max === 0 &&
          a.duplicateRuns.max === 0 &&
          c.duplicateRuns.max === 0;
    rows.push({
      scenario: `aligned burst, ${n0(p.tasks)} tasks due in the same second (\`${p.cron}\`, \`concurrentTasks: ${p.concurrency}\`; BullMQ concurrency ${p.concurrency}): slot → last handler start, ${few} instance / ${many} instances (BullMQ: workers)`,
      bullmq: cell('bullmq'),
      cron: 'n/a',
      ours: `**${cell('ours')}**`,
      target: '≤ 2.5 s / ≤ 2.0 s, 0 missed, 0 duplicates',
      ratio: `${ratio(med(a?.lastStartMs), med(s('bullmq', few)?.lastStartMs))} / ${ratio(med(c?.lastStartMs), med(s('bullmq', many)?.lastStartMs))}`,
      ok: burstOk,
      evidence: burstOk
        ? null
        : `During the burst window (${p.windowS} s from the slot): ${Object.entries(bu.runs)
            .filter(([k]) => k.startsWith('ours'))
            .flatMap(([k, runs]) =>
              runs
                .filter((r) => !r.error)
                .map(
                  (r) =>
                    `${k}: last start ${n0(r.lastStartMs)} ms, p50 ${n0(r.p50StartMs)} ms, engine CPU ${r.processes.map((x) => `${n0(x.cpuPercent)} %`).join(' + ')}, Redis CPU ${n0(r.redisCpuPercent)} %, other processes ${n0(r.otherCpuPercent)} %, ${n2(r.commandsPerExecution)} commands and ${n1(r.cpuUsPerExecution?.engine)} + ${n1(r.cpuUsPerExecution?.redis)} µs CPU (engine + Redis) per execution`,
                ),
            )
            .join('; ')} (100 % = one of the 2 cores). ${profileEvidence(S.profile)}` +
          burstFloor(bu, few, cores) +
          ` What it would take: the floor above is most of a burst's time (each instance reads, starts and records hundreds of runs per call, so round trips are few; the harness, which observes every start, shares the cores too); with ${many} instances on ${cores} cores the instances share the same cores, so they cannot drain faster than one: the per-run cost itself has to halve (engine and Redis CPU per execution, rows above). On a machine with a core per instance and Redis, ${many} instances divide the engine's share.`,
    });
  }
  const cap = S.capacity;
  if (cap && !cap.error) {
    const ours = cap.results.filter((r) => r.system === 'ours');
    const bull = cap.results.filter((r) => r.system === 'bullmq');
    const scaling = cap.scaling?.ratio ?? null;
    const capOk = scaling === null ? null : scaling >= 1.3;
    const firstFail = (r) => r.probes.filter((x) => !x.ok).sort((x, y) => x.tasks - y.tasks)[0];
    rows.push({
      scenario: `highest per-second task count sustained with 0 missed and p99 ≤ ${cap.params.p99Ms} ms (${cap.params.windowS} s window): ${ours.map((r) => r.instances).join(', ')} instances`,
      bullmq: bull.map((r) => `${sustained(r)} (${r.instances} worker)`).join(', ') || '—',
      cron: 'n/a',
      ours: `**${ours.map((r) => `${r.instances}: ${sustained(r)}`).join(', ')}** (${cap.scaling?.instances ?? '—'}/1 = ${scaling === null ? '—' : `${n2(scaling)}×`})`,
      target: '3 instances ≥ 1.3 × 1 instance',
      ratio: ratio(ours.find((r) => r.instances === 1)?.sustained, bull[0]?.sustained || null),
      ok: capOk,
      evidence: capOk
        ? null
        : `First load that did not hold: ${ours
            .map((r) => {
              const f = firstFail(r);
              return f
                ? `${r.instances} instance(s) at ${n0(f.tasks)}/s: ${f.error ? f.error : `missed ${n0(f.missedRuns)}, p99 ${n0(f.p99Ms)} ms, engine CPU ${f.cpuPercent.map((x) => `${n0(x)} %`).join(' + ')}, Redis CPU ${n0(f.redisCpuPercent)} %, other processes ${n0(f.otherCpuPercent)} %`}`
                : `${r.instances} instance(s): none failed up to ${n0(r.sustained)}/s`;
            })
            .join('; ')} (100 % = one of the 2 cores; the instances, Redis and the harness share them). ` +
          "What it would take: at the first loads that failed, no core was busy (the CPU figures above): a wave's lateness is set by its pipeline, not by CPU. One leader publishes every run of a second's wave (due entries read, planned and published in sequential batches of slices) and every instance then reads, starts and records its share in round trips; more instances add consumers, not publishers, and on these " +
          `${cores} cores they share the same CPU. One leader per partition of the tasks (issue 15) is what spreads the publishing.`,
    });
  }
  return rows;
}

export function burstDetails(bu) {
  if (!bu) return '';
  if (bu.error) return `### 13. Aligned burst\n\nFailed: ${bu.error.split('\n')[0]}\n`;
  const p = bu.params;
  const lines = [];
  for (const [key, runs] of Object.entries(bu.runs)) {
    runs.forEach((r, i) => {
      if (r.error) {
        lines.push([key, i + 1, 'error', r.error.split('\n')[0].slice(0, 80), '', '', '', '', '', '', '']);
        return;
      }
      lines.push([
        key,
        i + 1,
        `${n0(r.lastStartMs)} / ${n0(r.p50StartMs)} / ${n0(r.p99StartMs)}`,
        `${n0(r.missedRuns)} / ${n0(r.expectedRuns)}`,
        r.duplicateRuns,
        r.slowCalls
          ? `${r.slowCalls.maxUsec === null ? `< ${n0(p.slowlogThresholdUs)}` : n0(r.slowCalls.maxUsec)} µs${r.slowCalls.maxCommand ? ` (\`${r.slowCalls.maxCommand}\`)` : ''}; ${n0(r.slowCalls.overThreshold)} calls ≥ ${n0(p.slowlogThresholdUs)} µs`
          : '—',
        r.slowCalls?.latencyMaxMs === null || r.slowCalls?.latencyMaxMs === undefined
          ? '< 1'
          : n0(r.slowCalls.latencyMaxMs),
        r.processes.map((x) => `${n0(x.cpuPercent)} %`).join(' + '),
        `${n0(r.redisCpuPercent)} %`,
        `${n0(r.otherCpuPercent)} %`,
        `${n2(r.commandsPerExecution)}; ${n1(r.cpuUsPerExecution?.engine)} + ${n1(r.cpuUsPerExecution?.redis)} µs`,
      ]);
    });
  }
  return `### 13. Aligned burst

${n0(p.tasks)} tasks on \`${p.cron}\` (all due at the same second), ours with ${p.instances.join(' and ')} instances (\`concurrentTasks: ${p.concurrency}\` each), BullMQ with ${p.instances.join(' and ')} worker processes (job schedulers upserted by the first; Worker \`concurrency: ${p.concurrency}\` each); ${p.runs} run(s) of each. Each run: fresh key prefix, start, at least ${p.warmupS} s of warm-up, then the next slot (a multiple of ${p.periodS} s: ${p.periodS === 60 ? 'a minute boundary, so a run costs its start-up and at most a minute' : 'smoke sizes'}), a ${p.windowS} s window from 200 ms before it, and the runs of the slot collected until all started (or none for ${p.graceMs} ms, at most ${n0(p.maxGraceMs / 1000)} s). Start times are handler start − slot. The longest single Redis call: SLOWLOG (top-level calls: a script's inner commands, logged by its unnamed script client, are inside its EVALSHA time) with \`slowlog-log-slower-than ${p.slowlogThresholdUs}\` (µs) and the latency monitor (\`latency-monitor-threshold 1\` ms, LATENCY LATEST, events \`command\` and \`fast-command\`), both reset 200 ms before the slot and read once every run of the slot started. Both time a call on the wall clock: on a busy machine a call during which the OS preempted Redis counts long. When no call reached the threshold, the longest is below it. CPU in % of one core over the window; per execution = CPU ÷ runs started in the window.

${table(
  [
    'system',
    'run',
    'slot → last / p50 / p99 start (ms)',
    'missed',
    'dup.',
    'longest Redis call (SLOWLOG)',
    'latency monitor max (ms)',
    'CPU per process',
    'Redis CPU',
    'other processes CPU',
    'cmds/exec; CPU µs/exec (engine + Redis)',
  ],
  lines,
)}
`;
}

export function capacityDetails(cap) {
  if (!cap) return '';
  if (cap.error) return `### 14. Capacity\n\nFailed: ${cap.error.split('\n')[0]}\n`;
  const p = cap.params;
  const lines = [];
  for (const r of cap.results) {
    for (const x of r.probes) {
      lines.push(
        x.error
          ? [r.key, n0(x.tasks), 'error', x.error.slice(0, 80), '', '', '', '']
          : [
              r.key,
              n0(x.tasks),
              x.ok ? 'holds' : 'fails',
              n0(x.runsPerSecond),
              n0(x.missedRuns),
              `${n0(x.p50Ms)} / ${n0(x.p99Ms)}`,
              x.cpuPercent.map((c) => `${n0(c)} %`).join(' + '),
              `${n0(x.redisCpuPercent)} % (others ${n0(x.otherCpuPercent)} %)`,
            ],
      );
    }
  }
  return `### 14. Capacity

The highest number of per-second tasks (\`* * * * * *\`, concurrency ${p.concurrency} per process) a setup sustains over a ${p.windowS} s window (after ${p.warmupS} s of warm-up) with 0 missed and lateness p99 ≤ ${p.p99Ms} ms. Search: from ${n0(p.start)} tasks (more instances of ours start from what fewer sustained), × ${p.factor} while it holds (÷ while it fails), then ${p.refineSteps} bisection step(s) between the highest that held and the lowest that failed; at most ${n0(p.budgetS / p.systems.length)} s per setup. Each probe is a fresh start. Sustained: ${cap.results.map((r) => `${r.key} ${sustained(r)} (first failed ${r.firstFailed === null ? '—' : `${n0(r.firstFailed)}/s`})`).join(', ')}; ours ${cap.scaling?.instances ?? '—'} instances / 1 instance = ${cap.scaling?.ratio === null || cap.scaling?.ratio === undefined ? '—' : `${n2(cap.scaling.ratio)}×`}.

${table(['setup', 'tasks/s', 'result', 'runs/s', 'missed', 'lateness p50 / p99 (ms)', 'CPU per process', 'Redis CPU'], lines)}
`;
}
