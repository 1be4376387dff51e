// docs/scaling.md's generated tables, as markdown, from the capacity model's report (tables.mjs).

const int = (n) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const fixed = (n, digits = 1) => n.toFixed(digits);
const percent = (cores) => `${fixed(100 * cores)} %`;
const signed = (fraction) => {
  const size = fixed(Math.abs(100 * fraction));
  return `${size === '0.0' ? '' : fraction > 0 ? '+' : '−'}${size} %`;
};
const whole = (fraction) => `${Math.round(100 * fraction)} %`;
const bytes = (n) => (n >= 1e9 ? `${fixed(n / 1e9, 2)} GB` : `${fixed(n / 1e6)} MB`);
const seconds = (s) => `${fixed(s, 2)} s`;

/** A markdown table with its columns padded as prettier pads them (so the doc stays prettier-clean). */
function table(header, rows) {
  const widths = header.map((_, i) => Math.max(3, ...[header, ...rows].map((cells) => cells[i].length)));
  const line = (cells) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function loadName(l) {
  return `${int(l.runs)} runs ${l.arrival === 'spread' ? 'spread over the minute' : 'aligned on one second'}`;
}

function inputs(r) {
  const c = r.costs;
  const rows = [
    ['engine CPU per run', `${fixed(c.engineUsPerRun)} µs`, 'engineUsPerRun'],
    ['Redis CPU per run', `${fixed(c.redisUsPerRun)} µs`, 'redisUsPerRun'],
    ['Redis commands per run', fixed(c.commandsPerRun, 2), 'commandsPerRun'],
    ['Redis memory per registered task', `${int(c.bytesPerTask)} B`, 'bytesPerTask'],
    ['leader’s publishing, share of engine CPU', percent(c.publishShare), 'publishShare'],
    ['publish script, share of Redis CPU', percent(c.redisPublishShare), 'redisPublishShare'],
    ['instance memory per registered task', `${int(c.instanceBytesPerTask)} B`, 'instanceBytesPerTask'],
  ];
  return table(
    ['input', 'value', 'from docs/benchmarks.json'],
    rows.map(([name, value, key]) => [name, value, r.sources[key]]),
  );
}

function limits(r) {
  const { masterRunsPerSecond, leaderRunsPerSecond, deadlineS } = r.ceilings;
  const target = whole(r.settings.target);
  return table(
    ['single point of one partition', `most it carries at ${target} of its core`],
    [
      [
        'the one Redis master',
        `${int(masterRunsPerSecond)} runs/s sustained; an aligned wave of ${int(masterRunsPerSecond * deadlineS)} runs within ${deadlineS} s`,
      ],
      ['the one leader’s publishing', `${int(leaderRunsPerSecond)} runs/s (on top of its share of the consuming)`],
    ],
  );
}

function memoryTable(r) {
  const idle = r.costs.idle;
  const rows = r.memory.map((m) => [
    int(m.tasks),
    bytes(m.today.redisBytes),
    m.today.masters === null ? 'does not fit on one master' : String(m.today.masters),
    bytes(m.today.instanceBytes),
  ]);
  const { masters, instances, partitions } = r.settings.partitioned;
  const partitionedIdle = r.partitionedIdle.length
    ? `Idle cost of ${r.partitionedIdle[0].instances} instances on ${r.partitionedIdle[0].masters} masters (scenario 15, ${int(r.partitionedIdle[0].tasks)} tasks, none due): ${r.partitionedIdle.map((i) => `${i.partitions} partition${i.partitions > 1 ? 's' : ''} ${i.commandsPerSecond} commands/s (per master ${i.perMasterCommandsPerSecond.join(' / ')}), Redis ${i.redisCpuPercent} % in all`).join('; ')}.`
    : `Idle cost with more than one partition (${instances} instances on ${masters} masters, ${partitions} partitions): not measured yet, scenario 15 (\`npm run bench -- partitions\`) has not been run.`;
  const idleLine = `Idle cost (scenario 1) does not grow with the task count: ${idle.map((i) => `${int(i.tasks)} tasks ${i.commandsPerSecond} commands/s, Redis ${i.redisCpuPercent} %`).join('; ')}.`;
  return `${table(['registered tasks', 'Redis memory', `masters (${r.settings.masterMemoryGiB} GiB each, ≤ ${whole(r.settings.target)})`, 'RSS of each instance'], rows)}\n\n${idleLine}\n\n${partitionedIdle}`;
}

function todayTable(r) {
  const rows = r.loads.map((l) => {
    const t = l.today;
    const limit = [];
    if (t.masters === null) limit.push(`the one master: ${percent(t.masterCores)} of its core`);
    if (t.instances === null) limit.push(`the leader’s publishing: ${percent(t.leaderCores)} of its core`);
    const p = t.replay;
    return [
      loadName(l),
      t.instances === null ? 'none is enough' : String(t.instances),
      t.masters === null ? '1 (more add nothing)' : '1',
      limit.length ? limit.join('; ') : 'none',
      `${p.instances} / ${p.masters}${p.masters > p.effectiveMasters ? ` (${p.effectiveMasters} used)` : ''}: ${seconds(p.drainS)} / ${seconds(p.maxDelayS)}, master ${percent(p.busiestMasterUtilisation)}`,
    ];
  });
  return table(
    [
      'load',
      'instances',
      'masters',
      'over the target',
      'replay: instances / masters: last run done / longest wait, master busy',
    ],
    rows,
  );
}

function projectionTable(r) {
  const rows = r.loads.map((l) => {
    const p = l.projection;
    if (!p) return [loadName(l), '—', '—', '—', 'not reached with 1,024 partitions'];
    return [
      loadName(l),
      String(p.partitions),
      String(p.instances),
      String(p.masters),
      `${seconds(p.replay.drainS)} / ${seconds(p.replay.maxDelayS)}, busiest master ${percent(p.replay.busiestMasterUtilisation)}`,
    ];
  });
  return table(['load', 'partitions', 'instances', 'masters', 'replay: last run done / longest wait'], rows);
}

function validationTable(r) {
  const rows = r.validation.map((v) =>
    v.measured === null
      ? [v.setup, v.figure, '—', '—', '—', v.note]
      : [
          v.setup,
          v.figure,
          fixed(v.model, 2),
          fixed(v.measured, 2),
          signed(v.difference),
          `${Math.abs(v.difference) <= 0.3 ? 'yes' : 'no'}${v.note ? ` (${v.note})` : ''}`,
        ],
  );
  const measured = r.validation.filter((v) => v.measured !== null);
  const within = measured.filter((v) => Math.abs(v.difference) <= 0.3).length;
  const missing = r.validation.length - measured.length;
  const summary = `${within} of ${measured.length} rows within ± 30 %${missing ? `; ${missing} not measured yet` : ''}.`;
  return `${table(['setup', 'figure', 'model', 'measured', 'difference', 'within ± 30 %'], rows)}\n\n${summary}`;
}

/** The generated sections of docs/scaling.md, in order. */
export function renderMarkdown(r) {
  return [
    '#### Inputs',
    inputs(r),
    '#### The limits of one partition (the default)',
    limits(r),
    '#### Registered tasks: memory',
    memoryTable(r),
    `#### Runs due in the same minute, with one partition (the default; ≤ ${whole(r.settings.target)} of every core; aligned waves drained within ${r.settings.deadlineS} s)`,
    todayTable(r),
    '#### With partitions (the `partitions` option): the fewest that meet the target (model and replay)',
    projectionTable(r),
    '#### Validation on this machine',
    validationTable(r),
  ].join('\n\n');
}
