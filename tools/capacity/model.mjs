// The capacity model's formulas: pure functions from measured per-run costs (tools/capacity/inputs.mjs) and a
// deployment (instances, Redis masters, partitions) to the CPU each part carries, and the other way round: the
// instances and masters a load needs. docs/scaling.md explains them.
//
// A partition's keys share one hash tag, so they live on one Redis master, and one leader publishes its runs:
// with one partition (the default) the whole deployment sits on one master and one leader (effective masters =
// min(masters, partitions)). With the `partitions` option each partition has its own tag, steered so that masters
// with even slot ranges hold P / M each, and its own lease, the leases spread over the instances; the model takes
// the partitions as equal (tasks spread by a hash of their id). Scenario 15 measures P = 6 on 3 masters.

/** The target utilisation of every core, the default of the tables. */
export const DEFAULT_TARGET = 0.7;

/** Masters that can carry work: a partition lives on one master, so masters beyond the partitions idle. */
export function effectiveMasters(masters, partitions) {
  return Math.max(1, Math.min(masters, partitions));
}

/**
 * Share of the runs the busiest of `servers` carries when `partitions` equal partitions are spread over them
 * (partition p on server p mod servers): ⌈P / servers⌉ / P, and 1 with one partition.
 */
export function busiestShare(servers, partitions) {
  return Math.ceil(partitions / Math.min(servers, partitions)) / partitions;
}

/**
 * CPU (in cores) each part of a deployment spends to serve `runs` runs per second (or, with `seconds`, `runs`
 * runs within that many seconds).
 * - Instances: the leaders publish (publishShare of the engine's cost), one leader per partition, the leases
 *   spread over the instances; consumers pull runs as they have room, so the consuming evens the instances out
 *   and the busiest carries max(its even share, its leaderships' publishing).
 * - Masters: each run's Redis cost lands on its partition's master.
 * @param {{ engineUsPerRun: number, redisUsPerRun: number, commandsPerRun: number, publishShare: number }} costs
 * @param {{ instances: number, masters: number, partitions: number }} deployment
 */
export function load(costs, deployment, runs, seconds = 1) {
  const { instances, partitions } = deployment;
  const masters = effectiveMasters(deployment.masters, partitions);
  const perSecond = runs / seconds;
  const engineCores = (costs.engineUsPerRun * perSecond) / 1e6;
  const leaderCores = costs.publishShare * engineCores * busiestShare(instances, partitions);
  const busiestInstanceCores = Math.max(engineCores / instances, leaderCores);
  const masterShare = busiestShare(masters, partitions);
  return {
    effectiveMasters: masters,
    instancesCoresTotal: engineCores,
    leaderPublishCores: leaderCores,
    busiestInstanceCores,
    otherInstancesCoresMean: instances > 1 ? (engineCores - busiestInstanceCores) / (instances - 1) : null,
    busiestMasterCores: (costs.redisUsPerRun * perSecond * masterShare) / 1e6,
    busiestMasterCommandsPerSecond: costs.commandsPerRun * perSecond * masterShare,
  };
}

const MAX_SERVERS = 10_000;

/**
 * The fewest instances and masters that keep every core at or under `target` while serving `runs` runs per
 * `seconds` with `partitions` partitions; null where no count is enough (the load's floor sits on one core:
 * the one master, or the one leader's publishing).
 * @param {{ engineUsPerRun: number, redisUsPerRun: number, commandsPerRun: number, publishShare: number }} costs
 * @param {{ partitions: number, target?: number, coresPerInstance?: number, seconds?: number }} options
 */
export function size(costs, runs, options) {
  const { partitions, target = DEFAULT_TARGET, coresPerInstance = 1, seconds = 1 } = options;
  let masters = null;
  for (let m = 1; m <= Math.min(partitions, MAX_SERVERS); m++) {
    if (load(costs, { instances: 1, masters: m, partitions }, runs, seconds).busiestMasterCores <= target) {
      masters = m;
      break;
    }
  }
  let instances = null;
  for (let n = 1; n <= MAX_SERVERS; n++) {
    const cores = load(costs, { instances: n, masters: 1, partitions }, runs, seconds).busiestInstanceCores;
    if (cores <= target * coresPerInstance) {
      instances = n;
      break;
    }
  }
  return { partitions, masters, instances };
}

/**
 * The fewest partitions with which `size` finds both counts (the projection for a partitioned engine), and
 * those counts; null when even `maxPartitions` is not enough.
 */
export function sizePartitioned(costs, runs, options, maxPartitions = 1024) {
  for (let p = 1; p <= maxPartitions; p++) {
    const sized = size(costs, runs, { ...options, partitions: p });
    if (sized.masters !== null && sized.instances !== null) return sized;
  }
  return null;
}

/**
 * The highest load one part of a one-partition deployment carries at `target`: runs per second on the one
 * master, and the one leader's publishing (every run's publish share of the engine CPU on one core).
 */
export function ceilings(costs, target = DEFAULT_TARGET, coresPerInstance = 1) {
  return {
    masterRunsPerSecond: (target * 1e6) / costs.redisUsPerRun,
    leaderRunsPerSecond: (target * coresPerInstance * 1e6) / (costs.publishShare * costs.engineUsPerRun),
  };
}

/**
 * Memory for `tasks` registered tasks (no history): Redis bytes, the masters needed to keep each at or under
 * `target` of `masterMemoryBytes` (null when one partition does not fit on one master), and each instance's
 * RSS (every instance holds every task's definition, so more instances do not shrink it).
 * @param {{ bytesPerTask: number, instanceBaseBytes: number, instanceBytesPerTask: number }} costs
 * @param {{ partitions: number, masterMemoryBytes: number, target?: number }} options
 */
export function memory(costs, tasks, options) {
  const { partitions, masterMemoryBytes, target = DEFAULT_TARGET } = options;
  const redisBytes = tasks * costs.bytesPerTask;
  let masters = null;
  for (let m = 1; m <= partitions; m++) {
    if (redisBytes * busiestShare(m, partitions) <= target * masterMemoryBytes) {
      masters = m;
      break;
    }
  }
  return { redisBytes, masters, instanceBytes: costs.instanceBaseBytes + tasks * costs.instanceBytesPerTask };
}
