// Rows and details of the report for scenario 15 (partitions on a local 3-master Redis Cluster, issue 15): the
// acceptance checks as rows of the main table, then every run with the machine's load beside it, the idle cost
// and the connections per master.
import { mark, n0, n1, n2, range, table } from './format.mjs';

const pct = (fraction) => (fraction === null || fraction === undefined ? '—' : `${n1(100 * fraction)} %`);
const lowest = (s) => Math.min(...s.params.partitions);
const highest = (s) => Math.max(...s.params.partitions);
const okRuns = (s, n) => (s.byPartitions[n]?.runs ?? []).filter((r) => !r.error);

/** "24.3 / 34.6 / 41.2 %" of each master's share of the commands, per run. */
const sharesOf = (runs) =>
  runs.map((r) => `${(r.redis.perServer ?? []).map((x) => n1(100 * x.commandsShare)).join(' / ')} %`).join('; ');

/** The machine's load during the runs: other processes' CPU (min–max), for the cells of the main table. */
function loadNote(s) {
  const others = [lowest(s), highest(s)].flatMap((n) => okRuns(s, n).map((r) => r.otherCpuPercent));
  const valid = others.filter((v) => v !== null && v !== undefined);
  if (!valid.length) return '';
  return `; other processes ${n0(Math.min(...valid))}–${n0(Math.max(...valid))} % CPU`;
}

/** What a report without the scenario says, in its row and its section. */
const NOT_RUN = 'not measured yet (`npm run bench -- partitions`)';

export function partitionsRows(S) {
  const s = S.partitions;
  if (!s)
    return [
      {
        scenario: '3-master Redis Cluster, 3 instances, `partitions` 1 and 6: commands per master, leases, runs/s',
        bullmq: 'n/a',
        cron: 'n/a',
        ours: NOT_RUN,
        target: '33 ± 10 % each; 2/2/2; P = 6 ≥ P = 1',
        ratio: '—',
        ok: null,
        evidence: null,
      },
    ];
  if (s.error) return [];
  const p = s.params;
  const setup = `${p.masters}-master Redis Cluster, ${p.instances} instances, ${n0(p.tasks)} per-second tasks`;
  if (s.skipped)
    return [
      {
        scenario: `${setup}, partitions ${p.partitions.join(' and ')}`,
        bullmq: 'n/a',
        cron: 'n/a',
        ours: `not run: ${s.skipped}`,
        target: '—',
        ratio: '—',
        ok: null,
        evidence: null,
      },
    ];
  const [low, high] = [lowest(s), highest(s)];
  const c = s.checks;
  const load = loadNote(s);
  const sum = (n) => s.byPartitions[n]?.summary;
  return [
    {
      scenario: `${setup}, \`partitions: ${high}\`: each master's share of the window's commands (per run)`,
      bullmq: 'n/a',
      cron: 'n/a',
      ours: `**${sharesOf(okRuns(s, high)) || '—'}** (P = ${low}: ${sharesOf(okRuns(s, low)) || '—'})${load}`,
      target: `${n1(c.commandShare.expected.percent)} % ± ${c.commandShare.expected.points} points each`,
      ratio: '—',
      ok: c.commandShare.pass,
      evidence: c.commandShare.pass
        ? null
        : `Worst deviation ${n1(c.commandShare.worstDeviationPoints)} points; partitions per master ${okRuns(s, high)
            .map((r) => r.extra?.placement?.partitionsPerMaster.join('/'))
            .join('; ')}, deployment-wide keys on master ${okRuns(s, high)
            .map((r) => (r.extra?.placement?.deploymentWideMaster ?? -1) + 1)
            .join('; ')} (of the nodes' order).`,
    },
    {
      scenario: `${setup}, \`partitions: ${high}\`: partition leases per instance at the end of each run (each partition's leader key)`,
      bullmq: 'n/a',
      cron: 'n/a',
      ours: `**${c.leases.value.join('; ') || '—'}**`,
      target: c.leases.expected,
      ratio: '—',
      ok: c.leases.pass,
      evidence: c.leases.pass
        ? null
        : `Leases at the start of the windows: ${okRuns(s, high)
            .map((r) => Object.values(r.extra?.leasesAtStart ?? {}).join('/'))
            .join('; ')} (spread after ${okRuns(s, high)
            .map((r) =>
              r.extra?.spreadMs === null ? `not within ${p.spreadTimeoutS} s` : `${n0(r.extra?.spreadMs)} ms`,
            )
            .join('; ')}).`,
    },
    {
      scenario: `${setup}: runs delivered per second (the window's runs started ÷ window), \`partitions: ${high}\` / \`partitions: ${low}\``,
      bullmq: 'n/a',
      cron: 'n/a',
      ours: `**${range(sum(high)?.deliveredPerSecond, n0, '/s')} / ${range(sum(low)?.deliveredPerSecond, n0, '/s')}**; missed ${sum(high)?.missedRuns.max ?? '—'} / ${sum(low)?.missedRuns.max ?? '—'}, dup. ${sum(high)?.duplicateRuns.max ?? '—'} / ${sum(low)?.duplicateRuns.max ?? '—'}; p50 ${range(sum(high)?.latencyP50, n0, ' ms')} / ${range(sum(low)?.latencyP50, n0, ' ms')}, p99 ${range(sum(high)?.latencyP99, n0, ' ms')} / ${range(sum(low)?.latencyP99, n0, ' ms')}${load}`,
      target: `P = ${high} ≥ P = ${low}`,
      ratio: '—',
      ok: c.throughput.pass,
      evidence: c.throughput.pass
        ? null
        : `Engine CPU ${range(sum(high)?.cpuPercentTotal, n0, ' %')} / ${range(sum(low)?.cpuPercentTotal, n0, ' %')} summed over the instances, Redis CPU ${range(sum(high)?.redisCpuPercent, n0, ' %')} / ${range(sum(low)?.redisCpuPercent, n0, ' %')} summed over the masters (100 % = one of the cores), ${range(sum(high)?.commandsPerExecution, n2)} / ${range(sum(low)?.commandsPerExecution, n2)} commands per run.`,
    },
  ];
}

/** Connections per master by role (`command`, `blocking`, `subscriber`, …), summed over the masters. */
function connectionsByRole(clientsPerMaster) {
  const roles = {};
  let total = 0;
  for (const byName of clientsPerMaster ?? []) {
    for (const [name, count] of Object.entries(byName)) {
      const role = name.startsWith('ioredis-cluster(subscriber)')
        ? 'cluster pub/sub'
        : name.replace(/^nest-task-manager:/, '').replace(/:\d+$/, '');
      roles[role] = (roles[role] ?? 0) + count;
      total += count;
    }
  }
  return { total, roles };
}

export function partitionsDetails(s) {
  const title = '### 15. Partitions on a 3-master Redis Cluster';
  if (!s) return `${title}\n\nNot measured yet (\`npm run bench -- partitions\`).\n`;
  if (s.error) return `${title}\n\nFailed: ${s.error.split('\n')[0]}\n`;
  if (s.skipped) return `${title}\n\nNot run: ${s.skipped}.\n`;
  const p = s.params;
  const lines = [];
  for (const n of p.partitions) {
    (s.byPartitions[n]?.runs ?? []).forEach((r, i) => {
      if (r.error) {
        lines.push([n, i + 1, 'error', r.error.split('\n')[0].slice(0, 80), '', '', '', '', '', '', '', '']);
        return;
      }
      const servers = r.redis.perServer ?? [];
      lines.push([
        n,
        i + 1,
        `${n0(r.runsPerSecond)} (${n0(r.deliveredPerSecond)})`,
        `${r.missedRuns} / ${n0(r.expectedRuns)}`,
        r.duplicateRuns,
        `${n1(r.latenessMs.p50)} / ${n1(r.latenessMs.p99)}`,
        servers.map((x) => `${pct(x.commandsShare)} (${n0(x.commandsPerSecond)}/s)`).join(' · '),
        servers.map((x) => `${n0(x.cpuPercent)} %`).join(' + '),
        r.processes.map((x) => `${n0(x.cpuPercent)} %`).join(' + '),
        `${n0(r.otherCpuPercent)} %`,
        `${Object.values(r.extra?.leasesAtEnd?.perInstance ?? {}).join('/')} (${r.extra?.spreadMs === null ? `not spread within ${p.spreadTimeoutS} s` : `${n1((r.extra?.spreadMs ?? 0) / 1000)} s`})`,
        `${n2(r.redis.commandsPerExecution)}; ${n1(r.cpuUsPerExecution.engine)} + ${n1(r.cpuUsPerExecution.redis)} µs`,
      ]);
    });
  }
  const c = s.checks;
  const checks = [
    [
      c.commandShare.target,
      `${c.commandShare.value.map((v) => v.join(' / ')).join('; ')} % (worst ${n1(c.commandShare.worstDeviationPoints)} points off)`,
      mark(c.commandShare.pass),
    ],
    [c.leases.target, c.leases.value.join('; '), mark(c.leases.pass)],
    [
      c.throughput.target,
      Object.entries(c.throughput.value)
        .map(([k, v]) => `P = ${k}: ${n0(v)}/s`)
        .join(', '),
      mark(c.throughput.pass),
    ],
  ];
  const idleLines = p.partitions
    .map((n) => s.byPartitions[n]?.idle)
    .filter(Boolean)
    .map((i) =>
      i.error
        ? [i.partitions, 'error', i.error.split('\n')[0].slice(0, 80), '', '', '', '']
        : [
            i.partitions,
            n0(i.tasks),
            `**${n2(i.commandsPerSecond)}**`,
            i.perMaster.map((m) => n2(m.commandsPerSecond)).join(' / '),
            i.perMaster.map((m) => `${n2(m.cpuPercent)} %`).join(' + '),
            i.processes.map((x) => `${n1(x.cpuPercent)} %`).join(' + '),
            `${Object.values(i.leases).join('/')}${i.spreadMs === null ? ` (not spread within ${p.spreadTimeoutS} s)` : ''}`,
          ],
    );
  const connLines = p.partitions.flatMap((n) => {
    const first = okRuns(s, n)[0];
    if (!first?.extra?.clientsPerMaster) return [];
    const { total, roles } = connectionsByRole(first.extra.clientsPerMaster);
    return [
      [
        n,
        `${n0(total)} (${n1(total / p.instances)} per instance)`,
        Object.entries(roles)
          .sort((a, b) => b[1] - a[1])
          .map(([role, count]) => `${role} ${count}`)
          .join(', '),
        first.extra.clientsPerMaster.map((m) => n0(Object.values(m).reduce((a, b) => a + b, 0))).join(' / '),
      ],
    ];
  });
  return `${title}

A private local Redis Cluster of ${p.masters} masters (\`redis-server --cluster-enabled yes\`, no replicas, \`redis-cli --cluster create\`: even slot ranges), ${p.instances} instances of ours on it (\`redis: { cluster: { nodes } }\`, \`concurrentTasks: ${p.concurrency}\` each${Object.keys(p.options ?? {}).length ? `, ${JSON.stringify(p.options)}` : ', default timings'}), ${n0(p.tasks)} tasks on \`* * * * * *\`, with \`partitions\` ${p.partitions.join(' and ')}, interleaved, ${p.runs} run(s) each. Each run: fresh key prefix, start, wait until every partition's lease is held and none of the instances holds more than ⌈P / ${p.instances}⌉ (read from each partition's leader key; at most ${p.spreadTimeoutS} s), ${p.warmupS} s of warm-up, a ${p.windowS} s window of whole seconds, late runs of the window's slots collected (as in scenario 2), teardown. Commands and CPU per master: INFO commandstats and used_cpu deltas over the window on each master, the harness's own commands left out (its reads of the leases, slots and clients are made outside the window); share = the master's commands ÷ all masters'. Runs/s = handler starts per second of the window; delivered = the window's runs started ÷ the window (the load, when none is missed). CPU in % of one core; "other processes" is what the rest of the machine used meanwhile (the load the figures were taken under).

${table(
  [
    'partitions',
    'run',
    'runs/s (delivered)',
    'missed',
    'dup.',
    'lateness p50 / p99 (ms)',
    "each master's share of the commands (cmds/s)",
    'Redis CPU per master',
    'CPU per instance',
    'other processes CPU',
    'leases per instance at the end (spread after)',
    'cmds/run; CPU µs/run (engine + Redis)',
  ],
  lines,
)}

The issue's acceptance (its share of "33 ± 10 %" read as ${n1(c.commandShare.expected.percent)} % ± ${c.commandShare.expected.points} percentage points):

${table(['check', 'measured', 'result'], checks)}
${
  idleLines.length
    ? `
Idle cost of the same deployment (scenario 1's approach: ${n0(p.idle.tasks)} tasks on \`0 0 1 1 *\`, none due, ${p.instances} instances${Object.keys(p.idle.options ?? {}).length ? `, ${JSON.stringify(p.idle.options)}` : ', default timings'}; after the leases spread and ${p.idle.warmupS} s of warm-up, commandstats deltas over ${p.idle.windowS} s):

${table(['partitions', 'tasks', 'cmds/s (all masters)', 'cmds/s per master', 'Redis CPU per master', 'CPU per instance', 'leases per instance'], idleLines)}
`
    : ''
}${
    connLines.length
      ? `
Connections to the masters at the end of the first run of each partition count (CLIENT LIST on each master, the harness's left out; on a Cluster each client of an instance opens a connection to each master it sends commands to, and to the node of its ready check):

${table(['partitions', 'connections, all instances', 'by role', 'per master'], connLines)}
`
      : ''
  }`;
}
