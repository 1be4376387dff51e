// The capacity model's report: the numbers of docs/scaling.md's tables (`report`) and their markdown
// (`renderMarkdown`), computed from the inputs (tools/capacity/inputs.mjs), the formulas (model.mjs) and the
// replay (replay.mjs).

import { COST_SOURCES, costsFromBenchmarks, measuredFromBenchmarks } from './inputs.mjs';
import { DEFAULT_TARGET, busiestShare, ceilings, load, memory, size, sizePartitioned } from './model.mjs';
import { replay } from './replay.mjs';

const int = (n) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** The settings of the doc's tables (the CLI's defaults). */
export const DEFAULT_SETTINGS = {
  target: DEFAULT_TARGET,
  deadlineS: 10,
  coresPerInstance: 1,
  masterMemoryGiB: 8,
  tasks: [1_000_000, 10_000_000],
  /** The partitioned setup the validation expects from scenario 15 (named while it has not been run). */
  partitioned: { masters: 3, instances: 3, partitions: 6 },
  loads: [
    { runs: 100_000, arrival: 'spread' },
    { runs: 100_000, arrival: 'aligned' },
    { runs: 1_000_000, arrival: 'spread' },
    { runs: 1_000_000, arrival: 'aligned' },
  ],
};

/** A load's work per period: spread = runs / 60 per second; aligned = every run within the deadline. */
function period(l, settings) {
  return l.arrival === 'spread' ? { runs: l.runs / 60, seconds: 1 } : { runs: l.runs, seconds: settings.deadlineS };
}

function sizeLoad(costs, l, settings) {
  const { runs, seconds } = period(l, settings);
  const options = { target: settings.target, coresPerInstance: settings.coresPerInstance, seconds };
  const today = size(costs, runs, { ...options, partitions: 1 });
  const todayLoad = load(costs, { instances: today.instances ?? 1, masters: 1, partitions: 1 }, runs, seconds);
  const projection = sizePartitioned(costs, runs, options);
  const play = (instances, masters, partitions) =>
    replay(costs, {
      instances,
      masters,
      partitions,
      runs: l.runs,
      arrival: l.arrival,
      coresPerInstance: settings.coresPerInstance,
    });
  const replayInstances = today.instances ?? projection?.instances ?? 1;
  return {
    ...l,
    runsPerSecond: l.arrival === 'spread' ? l.runs / 60 : l.runs,
    today: {
      ...today,
      masterCores: todayLoad.busiestMasterCores,
      leaderCores: todayLoad.leaderPublishCores,
      replay: {
        instances: replayInstances,
        masters: projection?.masters ?? 1,
        ...play(replayInstances, projection?.masters ?? 1, 1),
      },
    },
    projection: projection && {
      ...projection,
      replay: play(projection.instances, projection.masters, projection.partitions),
    },
  };
}

/**
 * The partitioned setup's rows (scenario 15: M masters, N instances, P partitions): runs/s, Redis CPU and
 * commands on the busiest master, CPU of the busiest instance and of all; one row saying it was not measured
 * while the scenario has not been run.
 */
function partitionedRows(costs, partitioned, expected, add) {
  if (!partitioned) {
    const { masters, instances, partitions } = expected;
    add(
      `${masters} masters, ${instances} instances, ${partitions} partitions`,
      'runs/s and Redis CPU of the busiest master, CPU of the instances',
      null,
      null,
      'not measured yet: scenario 15 (`npm run bench -- partitions`) has not been run',
    );
    return;
  }
  const { masters, instances, partitions, runsPerSecond } = partitioned;
  const l = load(costs, { instances, masters, partitions }, runsPerSecond);
  const setup = `${masters} masters, ${instances} instances, ${partitions} partitions, ${int(runsPerSecond)} runs/s`;
  const perRun = `engine CPU per run measured here ${partitioned.engineUsPerRun} µs, ${costs.engineUsPerRun} µs with 1 instance`;
  add(
    setup,
    'runs/s on the busiest master (runs/s × its share of the commands)',
    runsPerSecond * busiestShare(l.effectiveMasters, partitions),
    runsPerSecond * partitioned.busiestMasterCommandsShare,
  );
  add(setup, 'Redis CPU of the busiest master', 100 * l.busiestMasterCores, partitioned.busiestMasterCpuPercent);
  add(setup, 'busiest instance', 100 * l.busiestInstanceCores, partitioned.busiestProcessCpuPercent, perRun);
  add(setup, 'CPU of the instances, summed', 100 * l.instancesCoresTotal, partitioned.processCpuPercentTotal, perRun);
}

function validation(costs, measured, settings) {
  const rows = [];
  const add = (setup, figure, model, actual, note = '') => rows.push({ setup, figure, model, measured: actual, note });
  const one = measured.oneInstance;
  const l1 = load(costs, { instances: 1, masters: 1, partitions: 1 }, one.runsPerSecond);
  const setup1 = `1 master, 1 instance, ${int(one.runsPerSecond)} runs/s`;
  const inSample = 'in-sample: the per-run inputs are this scenario’s medians';
  add(setup1, 'process CPU (% of a core)', 100 * l1.busiestInstanceCores, one.processCpuPercent, inSample);
  add(setup1, 'Redis CPU (% of a core)', 100 * l1.busiestMasterCores, one.redisCpuPercent, inSample);
  const three = measured.threeInstances;
  const l3 = load(costs, { instances: three.instances, masters: 1, partitions: 1 }, three.runsPerSecond);
  const setup3 = `1 master, ${three.instances} instances, ${int(three.runsPerSecond)} runs/s`;
  const perRun = `engine CPU per run measured here ${three.engineUsPerRun} µs, ${costs.engineUsPerRun} µs with 1 instance`;
  add(setup3, 'CPU of the instances, summed', 100 * l3.instancesCoresTotal, three.processCpuPercentTotal, perRun);
  add(setup3, 'busiest instance', 100 * l3.busiestInstanceCores, three.busiestProcessCpuPercent, perRun);
  add(setup3, 'other instances (mean)', 100 * l3.otherInstancesCoresMean, three.otherProcessCpuPercent, perRun);
  add(setup3, 'Redis CPU', 100 * l3.busiestMasterCores, three.redisCpuPercent);
  for (const burst of measured.bursts) {
    const played = replay(costs, {
      instances: burst.instances,
      masters: 1,
      partitions: 1,
      runs: burst.runs,
      arrival: 'aligned',
      hostCores: measured.hostCores,
    });
    const setup = `1 master, ${burst.instances} instance${burst.instances > 1 ? 's' : ''}, ${int(burst.runs)} runs aligned`;
    const note = `engine CPU per run measured here ${burst.engineUsPerRun} µs`;
    const figure = `slot → last run (s), replay on ${measured.hostCores} shared cores`;
    add(setup, figure, played.drainS, burst.lastStartMs / 1000, note);
  }
  partitionedRows(costs, measured.partitioned, settings.partitioned, add);
  return rows.map((row) => ({
    ...row,
    difference: row.measured === null ? null : (row.model - row.measured) / row.measured,
  }));
}

/**
 * Everything docs/scaling.md's tables show, from a parsed docs/benchmarks.json.
 * @param {any} bench
 */
export function report(bench, settings = DEFAULT_SETTINGS) {
  const costs = costsFromBenchmarks(bench);
  const measured = measuredFromBenchmarks(bench);
  const masterMemoryBytes = settings.masterMemoryGiB * 2 ** 30;
  return {
    settings,
    costs,
    sources: COST_SOURCES,
    ceilings: { ...ceilings(costs, settings.target, settings.coresPerInstance), deadlineS: settings.deadlineS },
    memory: settings.tasks.map((tasks) => ({
      tasks,
      today: memory(costs, tasks, { partitions: 1, masterMemoryBytes, target: settings.target }),
    })),
    loads: settings.loads.map((l) => sizeLoad(costs, l, settings)),
    validation: validation(costs, measured, settings),
    partitionedIdle: measured.partitionedIdle,
  };
}

export { renderMarkdown } from './markdown.mjs';
