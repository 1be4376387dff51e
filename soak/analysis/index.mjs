// The soak's verdict data: from the executions, faults and samples a run recorded, the report that
// soak/report.mjs renders and checks. Each step is a small function of its own module; this one orders them
// (the fault steps annotate the fault records the later ones read).
import { analyzeExtraFaults } from '../extra-faults.mjs';
import { analyzeBackoff } from './backoff.mjs';
import { completed, findDuplicates, indexExecutions, makeExcuse } from './executions.mjs';
import { explanationWindows, killedRunRecoveries, markWipeRecoveries, poisonDeathOf, wipesOfTask } from './faults.mjs';
import { maxOf, percentile, round, sorted } from './numbers.mjs';
import {
  attachLogs,
  faultsSection,
  leadershipSection,
  memorySection,
  processesSection,
  tasksSection,
} from './sections.mjs';
import { accountSlots } from './slots.mjs';

/** The report of a finished soak (`soak`: the Soak instance with everything it recorded). */
export function analyzeSoak(soak) {
  const s = soak.settings;
  const from = soak.analysisFrom;
  const to = soak.analysisTo;
  const leaseMs = s.options.runningHeartbeatInterval * 3000;
  const index = indexExecutions(soak.executions);
  const excuse = makeExcuse(soak);
  const { duplicates, reExecutions } = findDuplicates(index.perAttempt, excuse);
  const poisonDeath = poisonDeathOf(soak);
  const { recoveries, unrecovered } = killedRunRecoveries(soak, index.perSlot, leaseMs, poisonDeath);
  markWipeRecoveries(soak, index.perTask);
  const windows = explanationWindows(soak);
  // (Per task: a Redis Cluster master restarted empty erased the partitions it served only.)
  const wipes = wipesOfTask(soak);
  const { backoffGates, backoffViolations } = analyzeBackoff(soak, index, excuse, wipes);
  const slots = accountSlots(soak, { ...index, windows, wipes, backoffGates, poisonDeath, leaseMs });
  const tasks = tasksSection(soak);
  const leadership = leadershipSection(soak);
  const memory = memorySection(soak);
  const lat = sorted(slots.lateness);
  const latQuiet = sorted(slots.latenessQuiet);
  const processes = processesSection(soak);
  attachLogs(soak, duplicates, slots.missedDetail);

  return {
    settings: { ...s, tasks: soak.mix.tasks.size },
    window: { from, to, seconds: round((to - from) / 1000) },
    tasks,
    executions: {
      total: soak.executions.length,
      completed: soak.executions.filter(completed).length,
      failed: soak.executions.filter((e) => completed(e) && e.failed).length,
      aborted: soak.executions.filter((e) => e.aborted).length,
    },
    slots: {
      due: slots.totals.due,
      executed: slots.totals.executed,
      executedOnce: slots.totals.executedOnce,
      duplicated: duplicates.length,
      missed: slots.totals.missed,
      missedByCause: slots.missedBy,
      unexplainedMissed: slots.missedDetail.filter((m) => m.cause === 'unexplained'),
      missedSample: slots.missedDetail.slice(0, 50),
    },
    duplicates,
    reExecutions,
    recordedDuplicates: soak.final?.recordedDuplicates ?? null,
    runsAfterDeletion: slots.afterDeletion,
    backoffViolations,
    lateness: {
      p50Ms: percentile(lat, 50),
      p99Ms: percentile(lat, 99),
      maxMs: maxOf(lat),
      quietP50Ms: percentile(latQuiet, 50),
      quietP99Ms: percentile(latQuiet, 99),
      quietMaxMs: maxOf(latQuiet),
      highP99Ms: percentile(sorted(slots.latenessByPriority.high), 99),
      normalP99Ms: percentile(sorted(slots.latenessByPriority.normal), 99),
    },
    faults: faultsSection(soak),
    leadership,
    recovery: {
      killedRuns: recoveries.length + unrecovered.length,
      recovered: recoveries.length,
      maxRecoveryMs: maxOf(recoveries.map((r) => r.ms)),
      unrecovered,
      maxWipeRecoveryMs: maxOf(
        soak.faults.filter((f) => f.recoveryMs !== undefined && f.recoveryMs !== null).map((f) => f.recoveryMs),
      ),
    },
    processes,
    api: { ...soak.apiProbes, dynamicErrors: soak.httpErrors },
    memory,
    backlog: {
      maxStreamHigh: maxOf(soak.backlog.map((b) => b.high)),
      maxStreamNormal: maxOf(soak.backlog.map((b) => b.normal)),
      maxOneoff: maxOf(soak.backlog.map((b) => b.oneoff)),
    },
    final: soak.final ? { ...soak.final, recordedDuplicates: soak.final.recordedDuplicates.length } : null,
    extraFaults: analyzeExtraFaults(soak),
  };
}
