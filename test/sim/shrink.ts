import { revertsOf } from './reverts.js';
import { FAULT_KINDS, scenarioOf, type FaultKind, type ScenarioKnobs } from './scenario.js';
import { simulate, type SimOptions, type SimResult } from './simulator.js';

/** The smallest failing schedule found for a seed, and how it was reached. */
export interface Shrunk {
  knobs: { instances: number; disabled: FaultKind[]; partitions: number };
  result: SimResult;
  attempts: number;
}

/**
 * Shrinks a failing seed: one partition instead of several, fewer instances (down to 1), then each fault kind
 * switched off in turn (handler misbehaviour included), keeping each change while the same invariant still fails. Each attempt is a full
 * deterministic replay of the seed with those knobs.
 */
export async function shrink(seed: number, failed: SimResult, options: SimOptions = {}): Promise<Shrunk> {
  const invariant = failed.violation!.invariant;
  let best: ScenarioKnobs & { instances: number; disabled: Set<FaultKind>; partitions: number } = {
    instances: failed.stats.instances,
    disabled: new Set(options.knobs?.disabled ?? []),
    partitions: scenarioOf(seed, options.knobs).partitions,
  };
  let bestResult = failed;
  let attempts = 0;
  const stillFails = async (knobs: typeof best) => {
    attempts++;
    const result = await simulate(seed, { ...options, knobs, trace: true });
    if (result.violation?.invariant !== invariant) return false;
    bestResult = result;
    return true;
  };
  if (best.partitions > 1 && (await stillFails({ ...best, partitions: 1 }))) best = { ...best, partitions: 1 };
  for (let n = best.instances - 1; n >= 1; n--) {
    const knobs = { ...best, instances: n };
    if (!(await stillFails(knobs))) break;
    best = knobs;
  }
  for (const kind of FAULT_KINDS) {
    if (best.disabled.has(kind)) continue;
    const knobs = { ...best, disabled: new Set([...best.disabled, kind]) };
    if (await stillFails(knobs)) best = knobs;
  }
  // (A bulk run's result holds only the violation's line, and no stack traces: replayed with its trace.)
  if (!bestResult.fingerprint) bestResult = await simulate(seed, { ...options, knobs: best, trace: true });
  return {
    knobs: { instances: best.instances, disabled: [...best.disabled], partitions: best.partitions },
    result: bestResult,
    attempts,
  };
}

/** A violation report: the seed, the invariant, the shrunk knobs, the scenario's faults and the trace. */
export function report(shrunk: Shrunk, options: SimOptions = {}): string {
  const { result, knobs } = shrunk;
  const v = result.violation!;
  const scenario = scenarioOf(result.seed, {
    instances: knobs.instances,
    disabled: new Set(knobs.disabled),
    partitions: knobs.partitions,
  });
  const replay =
    `npm run simulate -- --seed ${result.seed} --instances ${knobs.instances} --partitions ${knobs.partitions}` +
    (knobs.disabled.length ? ` --disable ${knobs.disabled.join(',')}` : '') +
    (revertsOf(options.flags).length ? ` --revert ${revertsOf(options.flags).join(',')}` : '');
  return [
    `VIOLATION of ${v.invariant} at seed ${result.seed}: ${v.message}`,
    `shrunk to ${knobs.instances} instance(s), ${knobs.partitions} partition(s), faults off: ${knobs.disabled.join(', ') || 'none'} (${shrunk.attempts} replays)`,
    `replay: ${replay} --trace`,
    `scenario: ${scenario.tasks.map((t) => `${t.name} every ${t.everySeconds}s${t.allowParallel ? '' : ' exclusive'}${t.timeoutMs ? ` timeout ${t.timeoutMs}ms` : ''} ${t.misfirePolicy}`).join('; ')}; concurrentTasks ${scenario.concurrentTasks}`,
    'trace (the task of the violation, faults and lifecycle):',
    ...(result.trace ?? []),
  ].join('\n');
}
