import { Rng } from './prng.js';

/** Kinds of fault the schedule may hold (each can be switched off, e.g. while shrinking). */
export const FAULT_KINDS = [
  'kill',
  'stop',
  'pause',
  'freeze',
  'latency',
  'lossy',
  'duplicate',
  'wipe',
  'dynamic',
  'trigger',
  'handlers',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One fault of the schedule. */
export interface Fault {
  /** Simulated ms after the start. */
  at: number;
  kind: FaultKind;
  /** Instance index (taken modulo the instance count). */
  target: number;
  /** How long it lasts (pause, freeze, network trouble) or how long the instance stays down (kill, stop). */
  durationMs: number;
  /** A rate (lossy, duplicate), an extra delay (latency), an operation (dynamic), a task index (trigger). */
  value: number;
}

/** A static task of the scenario (every instance declares them all). */
export interface TaskSpec {
  name: string;
  everySeconds: number;
  allowParallel: boolean;
  highPriority: boolean;
  timeoutMs: number | null;
  maxAttempts: number;
  misfirePolicy: 'runOnce' | 'skip' | 'runAll';
}

export interface InstanceSpec {
  skewMs: number;
  drift: number;
  startAtMs: number;
}

/** Everything a seed decides before the run; the run itself draws from `runSeed`. */
export interface Scenario {
  seed: number;
  instances: InstanceSpec[];
  concurrentTasks: number;
  misfireToleranceMs: number;
  tasks: TaskSpec[];
  faults: Fault[];
  /** Faults happen in [0, faultPhaseMs); then everything heals and the cluster runs `healPhaseMs` more. */
  faultPhaseMs: number;
  healPhaseMs: number;
  runSeed: number;
  /** The deployment's partition count (the `partitions` option): 1 for half of the seeds, else 2, 3 or 6. */
  partitions: number;
}

/** What may be switched off: instances beyond `instances`, fault kinds; or the partition count, set. */
export interface ScenarioKnobs {
  instances?: number;
  disabled?: ReadonlySet<FaultKind>;
  partitions?: number;
}

const EVERY = [2, 3, 4, 5, 6, 10, 15];

/**
 * The scenario of `seed`. Each part draws from its own stream, so that dropping instances or fault kinds
 * (shrinking) keeps the rest of the schedule as it was.
 */
export function scenarioOf(seed: number, knobs: ScenarioKnobs = {}): Scenario {
  const root = new Rng(seed);
  const [clusterRng, taskRng, faultRng] = [root.fork(), root.fork(), root.fork()];
  const runSeed = Math.floor(root.next() * 4294967296);
  // (Drawn after everything else, from a stream of its own: a seed of one partition is the scenario it was
  // before partitions were drawn.)
  const layoutRng = root.fork();
  const partitions = knobs.partitions ?? (layoutRng.chance(0.5) ? 1 : layoutRng.pick([2, 3, 6]));
  const count = clusterRng.int(3, 7);
  const instances: InstanceSpec[] = [];
  for (let i = 0; i < count; i++) {
    const skewClass = clusterRng.next();
    const skewMs =
      skewClass < 0.2 ? 0 : skewClass < 0.7 ? clusterRng.range(-2000, 2000) : clusterRng.range(-30_000, 30_000);
    instances.push({ skewMs, drift: clusterRng.range(-0.002, 0.002), startAtMs: clusterRng.range(0, 2000) });
  }
  const concurrentTasks = clusterRng.int(1, 3);
  const misfireToleranceMs = clusterRng.pick([1000, 2000, 5000]);
  const tasks: TaskSpec[] = [];
  const taskCount = taskRng.int(2, 6);
  for (let i = 0; i < taskCount; i++) {
    tasks.push({
      name: `t${i}`,
      everySeconds: taskRng.pick(EVERY),
      allowParallel: taskRng.chance(0.5),
      highPriority: taskRng.chance(0.3),
      timeoutMs: taskRng.chance(0.5) ? taskRng.int(1000, 4000) : null,
      maxAttempts: taskRng.int(1, 3),
      misfirePolicy: taskRng.pick(['runOnce', 'skip', 'runAll'] as const),
    });
  }
  const faultPhaseMs = 60_000;
  const faults: Fault[] = [];
  let at = faultRng.range(3000, 6000);
  const wipeAllowed = faultRng.chance(0.15);
  while (at < faultPhaseMs - 2000) {
    const kind = faultRng.pick(FAULT_KINDS.filter((k) => k !== 'handlers' && (k !== 'wipe' || wipeAllowed)));
    const target = faultRng.int(0, 6);
    const durationMs = faultRng.range(1000, 10_000);
    const value =
      kind === 'latency'
        ? faultRng.range(20, 400)
        : kind === 'lossy' || kind === 'duplicate'
          ? faultRng.range(0.05, 0.4)
          : kind === 'dynamic'
            ? faultRng.int(0, 2)
            : faultRng.int(0, 5);
    faults.push({ at, kind, target, durationMs, value });
    at += faultRng.range(1000, 7000);
  }
  const n = Math.max(1, Math.min(count, knobs.instances ?? count));
  const disabled = knobs.disabled ?? new Set<FaultKind>();
  return {
    seed,
    instances: instances.slice(0, n),
    concurrentTasks,
    misfireToleranceMs,
    tasks,
    faults: faults.filter((f) => !disabled.has(f.kind)),
    faultPhaseMs,
    healPhaseMs: 50_000,
    runSeed,
    partitions,
  };
}

/** Whether handlers misbehave (fail, hang, run long, exceed their timeout) in this scenario. */
export function handlerFaults(knobs: ScenarioKnobs): boolean {
  return !knobs.disabled?.has('handlers');
}
