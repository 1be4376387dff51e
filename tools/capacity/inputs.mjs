// The capacity model's inputs, read from docs/benchmarks.json (what `npm run bench` wrote): one home for each
// measured figure, so the model follows the next bench run. Each input names where it came from.

/** Median of a bench summary figure (`{ median, min, max, n, values }`). */
function median(stat, path) {
  if (typeof stat?.median !== 'number') throw new Error(`docs/benchmarks.json has no ${path}`);
  return stat.median;
}

function middle(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The leader's publishing as a share of one instance's engine CPU: the scheduler's tick (inclusive: due entries
 * read, planned, published) over the busy samples of the profile scenario (the scenario-3 load, 1 instance).
 * A lower bound: the replies' parsing runs in ioredis's socket handler, outside the tick's stack.
 */
function publishShareOf(profile) {
  const busyMs = profile.cpu.sampledMs - (profile.cpu.byModule.find((m) => m.name === '(idle)')?.ms ?? 0);
  const tick = profile.cpu.libraryInclusive.find((f) => f.name.startsWith('tick engine/scheduler.js'));
  if (!tick || !(busyMs > 0)) throw new Error('docs/benchmarks.json: profile has no scheduler tick');
  return tick.ms / busyMs;
}

/** The publish script's share of Redis time in the profile scenario's command sample. */
function redisPublishShareOf(profile) {
  const commands = profile.redisSample.commands;
  const total = commands.reduce((sum, c) => sum + c.shareOfRedisTime, 0);
  const publish = commands.find((c) => c.command === 'evalsha publish-runs');
  if (!publish || !(total > 0)) throw new Error('docs/benchmarks.json: profile has no publish-runs sample');
  return publish.shareOfRedisTime / total;
}

/** Instance memory per registered task: RSS of the startup scenario's largest size minus its empty app. */
function instanceMemoryOf(startup) {
  const sizes = Object.keys(startup.ours)
    .map(Number)
    .sort((a, b) => a - b);
  const largest = sizes[sizes.length - 1];
  const base = median(startup.ours['0']?.rssMB, 'startup.ours.0.rssMB');
  const loaded = median(startup.ours[String(largest)].rssMB, `startup.ours.${largest}.rssMB`);
  return { baseBytes: base * 1e6, bytesPerTask: ((loaded - base) * 1e6) / largest };
}

/**
 * The per-run costs and the figures of an idle deployment, from a parsed docs/benchmarks.json.
 * @param {any} bench
 */
export function costsFromBenchmarks(bench) {
  const s = bench.scenarios;
  const ours = s.throughput.summary.ours;
  const instance = instanceMemoryOf(s.startup);
  const idle = s.idle.ours;
  return {
    engineUsPerRun: median(ours.engineCpuUsPerExecution, 'throughput.summary.ours.engineCpuUsPerExecution'),
    redisUsPerRun: median(ours.redisCpuUsPerExecution, 'throughput.summary.ours.redisCpuUsPerExecution'),
    commandsPerRun: median(ours.commandsPerExecution, 'throughput.summary.ours.commandsPerExecution'),
    bytesPerTask: median(s.memory.ours.bytesPerTask, 'memory.ours.bytesPerTask'),
    publishShare: publishShareOf(s.profile),
    redisPublishShare: redisPublishShareOf(s.profile),
    instanceBaseBytes: instance.baseBytes,
    instanceBytesPerTask: instance.bytesPerTask,
    idle: idle.map((row) => ({
      tasks: row.tasks,
      commandsPerSecond: row.commandsPerSecond,
      redisCpuPercent: row.redisCpuPercent,
      processCpuPercent: row.process.cpuPercent,
    })),
  };
}

/** Where each input of `costsFromBenchmarks` comes from (for the doc's input table). */
export const COST_SOURCES = {
  engineUsPerRun: 'throughput (scenario 3: 5,000/s, 1 instance), median engine CPU ÷ runs',
  redisUsPerRun: 'throughput, median Redis CPU (INFO used_cpu_user + used_cpu_sys) ÷ runs',
  commandsPerRun: 'throughput, median Redis commands (commandstats) ÷ runs',
  bytesPerTask: 'memory (scenario 6), used_memory delta ÷ 10,000 tasks, no history',
  publishShare: 'profile, `tick engine/scheduler.js` inclusive ÷ busy samples (a lower bound)',
  redisPublishShare: 'profile, `evalsha publish-runs` share of the sampled Redis time',
  instanceBytesPerTask: 'startup (scenario 10), RSS at the largest size − RSS with 0 tasks, ÷ tasks',
};

/**
 * What the partitions scenario (15: instances on a local Redis Cluster, one partition count against another)
 * measured at its highest partition count, or null when it has not been run (or was skipped, or failed).
 */
function partitionedOf(s) {
  if (!s || s.error || s.skipped) return null;
  const high = Math.max(...s.params.partitions);
  const summary = s.byPartitions?.[high]?.summary;
  if (typeof summary?.runsPerSecond?.median !== 'number') return null;
  const path = (field) => `partitions.byPartitions.${high}.summary.${field}`;
  const get = (field) => median(summary[field], path(field));
  return {
    masters: s.params.masters,
    instances: s.params.instances,
    partitions: high,
    runsPerSecond: get('runsPerSecond'),
    busiestMasterCommandsShare: get('busiestMasterCommandsShare'),
    busiestMasterCpuPercent: get('busiestMasterCpuPercent'),
    busiestProcessCpuPercent: get('busiestProcessCpuPercent'),
    processCpuPercentTotal: get('cpuPercentTotal'),
    engineUsPerRun: get('engineCpuUsPerExecution'),
  };
}

/**
 * The idle cost of the partitions scenario's deployment (its instances on the Cluster, tasks registered, none
 * due) at each partition count it measured; [] when it has not been run.
 */
function partitionedIdleOf(s) {
  if (!s || s.error || s.skipped) return [];
  return s.params.partitions
    .map((n) => s.byPartitions?.[n]?.idle)
    .filter((i) => i && !i.error)
    .map((i) => ({
      partitions: i.partitions,
      tasks: i.tasks,
      instances: s.params.instances,
      masters: s.params.masters,
      commandsPerSecond: i.commandsPerSecond,
      perMasterCommandsPerSecond: i.perMaster.map((m) => m.commandsPerSecond),
      redisCpuPercent: i.redisCpuPercent,
    }));
}

/**
 * What the benchmarks measured at the setups the model can be checked against: the throughput scenario
 * (1 instance, 5,000/s), the cluster scenario (3 instances, 10,000/s), the aligned burst (50,000 runs) and,
 * once it has been run, the partitions scenario (3 masters, 3 instances, 6 partitions; else `partitioned`
 * is null).
 * @param {any} bench
 */
export function measuredFromBenchmarks(bench) {
  const s = bench.scenarios;
  const one = s.throughput.summary.ours;
  const three = s.cluster.summary.ours;
  const threeRuns = s.cluster.runs.ours;
  const busiest = threeRuns.map((r) => Math.max(...r.processes.map((p) => p.cpuPercent)));
  const others = threeRuns.map((r) => {
    const cpu = r.processes.map((p) => p.cpuPercent).sort((a, b) => b - a);
    return cpu.slice(1).reduce((sum, c) => sum + c, 0) / (cpu.length - 1);
  });
  const burst = (instances) => {
    const summary = s.burst.summary[`ours×${instances}`];
    if (!summary) return null;
    const engine = s.burst.runs[`ours×${instances}`].map((r) => r.cpuUsPerExecution.engine);
    return {
      instances,
      runs: s.burst.params.tasks,
      lastStartMs: median(summary.lastStartMs, 'burst lastStartMs'),
      engineUsPerRun: middle(engine),
    };
  };
  return {
    hostCores: bench.environment.machine.nproc,
    oneInstance: {
      instances: 1,
      runsPerSecond: median(one.runsPerSecond, 'throughput runsPerSecond'),
      processCpuPercent: median(one.cpuPercentTotal, 'throughput cpuPercentTotal'),
      redisCpuPercent: median(one.redisCpuPercent, 'throughput redisCpuPercent'),
    },
    threeInstances: {
      instances: s.cluster.params.instances,
      runsPerSecond: median(three.runsPerSecond, 'cluster runsPerSecond'),
      processCpuPercentTotal: median(three.cpuPercentTotal, 'cluster cpuPercentTotal'),
      busiestProcessCpuPercent: middle(busiest),
      otherProcessCpuPercent: middle(others),
      redisCpuPercent: median(three.redisCpuPercent, 'cluster redisCpuPercent'),
      engineUsPerRun: median(three.engineCpuUsPerExecution, 'cluster engineCpuUsPerExecution'),
    },
    bursts: [burst(1), burst(3)].filter(Boolean),
    partitioned: partitionedOf(s.partitions),
    partitionedIdle: partitionedIdleOf(s.partitions),
  };
}
