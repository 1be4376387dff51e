/**
 * The simulator's command line (`npm run simulate -- --help` prints USAGE). See docs/simulation.md.
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { FAULT_KINDS, scenarioOf, type FaultKind } from './scenario.js';
import { flagsOf, REVERTS } from './reverts.js';
import { report, shrink } from './shrink.js';
import { simulate, type SimOptions, type SimResult } from './simulator.js';

const USAGE = `npm run simulate -- [--seeds N] [--from S] [--seed S] [--instances N] [--partitions N] [--disable kind,...]
  [--revert reread,late-create] [--trace] [--no-shrink] [--jobs J] [--json FILE] [--digest FILE]
  [--with-fault kind] [--several-partitions | --one-partition]

Runs seeds S .. S+N-1 (default 1000 from 1), stops at the first violation, shrinks it and prints the report.
  --seed S          one seed (with --trace: its trace)
  --instances N     every scenario with N instances
  --partitions N    every scenario with N partitions (else each seed draws 1, or 2, 3 or 6)
  --disable kinds   fault kinds off: ${FAULT_KINDS.join(', ')}
  --revert fixes    undo a fix in the simulated driver: ${Object.keys(REVERTS).join(', ')}
  --jobs J          J processes
  --with-fault kind only the seeds whose scenario holds a fault of that kind (the others are skipped, not
                    counted): to re-run after a change of the simulator that only that kind's faults reach
  --several-partitions  only the seeds that draw several partitions (skipped, not counted: a seed that draws
                    one runs what it ran before partitions were drawn)
  --one-partition   only the seeds that draw one partition
  --json FILE       the summary as JSON
  --digest FILE     each seed's digest (with --trace, its trace's fingerprint too); runs on past violations:
                    to check that a change of the simulator keeps what every seed does
See docs/simulation.md.`;

/** Which seeds of a range run (the others are skipped, not counted). */
interface SeedFilter {
  /** Those whose scenario holds a fault of this kind. */
  withFault?: FaultKind;
  /** Those whose scenario draws several partitions (a seed of one runs what it ran before they were drawn). */
  severalPartitions?: boolean;
  /** Those whose scenario draws one partition. */
  onePartition?: boolean;
}

/** Whether `seed`'s scenario passes `only`. */
function selected(seed: number, options: SimOptions, only: SeedFilter): boolean {
  if (!only.withFault && !only.severalPartitions && !only.onePartition) return true;
  const scenario = scenarioOf(seed, options.knobs);
  if (only.withFault && !scenario.faults.some((fault) => fault.kind === only.withFault)) return false;
  if (only.onePartition && scenario.partitions > 1) return false;
  return !only.severalPartitions || scenario.partitions > 1;
}

interface Args {
  help: boolean;
  from: number;
  seeds: number;
  jobs: number;
  trace: boolean;
  shrink: boolean;
  json?: string;
  digest?: string;
  options: SimOptions;
  /** Which seeds of the range run. */
  only: SeedFilter;
}

function parse(argv: string[]): Args {
  const args: Args = {
    help: false,
    from: 1,
    seeds: 1000,
    jobs: 1,
    trace: false,
    shrink: true,
    options: {},
    only: {},
  };
  const disabled = new Set<FaultKind>();
  for (let i = 0; i < argv.length; i++) {
    const value = () => argv[++i];
    switch (argv[i]) {
      case '--seeds':
        args.seeds = Number(value());
        break;
      case '--from':
        args.from = Number(value());
        break;
      case '--seed':
        args.from = Number(value());
        args.seeds = 1;
        break;
      case '--jobs':
        args.jobs = Number(value());
        break;
      case '--instances':
        args.options.knobs = { ...args.options.knobs, instances: Number(value()) };
        break;
      case '--partitions':
        args.options.knobs = { ...args.options.knobs, partitions: Number(value()) };
        break;
      case '--disable':
        for (const kind of value().split(',')) {
          if (!FAULT_KINDS.includes(kind as FaultKind)) throw new Error(`unknown fault kind ${kind}`);
          disabled.add(kind as FaultKind);
        }
        break;
      case '--revert':
        args.options.flags = { ...args.options.flags, ...flagsOf(value().split(',')) };
        break;
      case '--trace':
        args.trace = true;
        break;
      case '--no-shrink':
        args.shrink = false;
        break;
      case '--json':
        args.json = value();
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      case '--digest':
        args.digest = value();
        args.options.digest = true;
        break;
      case '--with-fault': {
        const kind = value();
        if (!FAULT_KINDS.includes(kind as FaultKind)) throw new Error(`unknown fault kind ${kind}`);
        args.only.withFault = kind as FaultKind;
        break;
      }
      case '--several-partitions':
        args.only.severalPartitions = true;
        break;
      case '--one-partition':
        args.only.onePartition = true;
        break;
      default:
        throw new Error(`unknown argument ${argv[i]} (see --help)`);
    }
  }
  args.options.knobs = { ...args.options.knobs, disabled };
  return args;
}

interface Summary {
  seeds: number;
  from: number;
  violations: number;
  firstViolation?: number;
  steps: number;
  clusterHours: number;
  instanceHours: number;
  wallSeconds: number;
}

/** Runs seeds [from, from + count) in this process; stops at the first violation. */
async function runRange(from: number, count: number, options: SimOptions, trace: boolean, only: SeedFilter) {
  let ran = 0;
  let steps = 0;
  let simulatedMs = 0;
  let instanceMs = 0;
  const digests: string[] = [];
  let first: { failed: number; result: SimResult } | undefined;
  for (let seed = from; seed < from + count; seed++) {
    if (!selected(seed, options, only)) continue;
    ran++;
    const result = await simulate(seed, { ...options, trace });
    steps += result.stats.steps;
    simulatedMs += result.stats.simulatedMs;
    instanceMs += result.stats.simulatedMs * result.stats.instances;
    if (options.digest)
      digests.push(
        `${seed} ${result.digest} ${result.violation?.invariant ?? 'ok'}` +
          (result.fingerprint ? ` ${result.fingerprint}` : ''),
      );
    if (trace && !result.violation) console.log(`seed ${seed}: ok ${JSON.stringify(result.stats)}`);
    if (result.violation && !first) first = { failed: seed, result };
    // (A digest run goes on past violations: every seed's digest is wanted.)
    if (result.violation && !options.digest) return { done: ran, steps, simulatedMs, instanceMs, digests, ...first };
  }
  return { done: ran, steps, simulatedMs, instanceMs, digests, ...first };
}

type RangeResult = Awaited<ReturnType<typeof runRange>>;

async function main(): Promise<void> {
  if (process.env.SIM_CHILD) {
    const { from, count, options, trace, only } = JSON.parse(process.env.SIM_CHILD) as {
      from: number;
      count: number;
      options: SimOptions;
      trace: boolean;
      only: SeedFilter;
    };
    options.knobs = { ...options.knobs, disabled: new Set(options.knobs?.disabled as unknown as FaultKind[]) };
    process.send!(await runRange(from, count, options, trace, only));
    return;
  }
  const args = parse(process.argv.slice(2));
  if (args.help) return void console.log(USAGE);
  const started = performance.now();
  let results: RangeResult[];
  if (args.jobs <= 1) {
    results = [await runRange(args.from, args.seeds, args.options, args.trace, args.only)];
  } else {
    const per = Math.ceil(args.seeds / args.jobs);
    const serial = {
      ...args.options,
      knobs: { ...args.options.knobs, disabled: [...(args.options.knobs?.disabled ?? [])] },
    };
    results = await Promise.all(
      Array.from({ length: args.jobs }, (_, j) => {
        const from = args.from + j * per;
        const count = Math.max(0, Math.min(per, args.from + args.seeds - from));
        return new Promise<RangeResult>((resolve, reject) => {
          const child = fork(process.argv[1], [], {
            env: {
              ...process.env,
              SIM_CHILD: JSON.stringify({
                from,
                count,
                options: serial,
                trace: args.trace && args.digest !== undefined,
                only: args.only,
              }),
            },
          });
          child.once('message', (m) => resolve(m as RangeResult));
          child.once('exit', (code) => code !== 0 && reject(new Error(`worker ${j} exited with ${code}`)));
        });
      }),
    );
  }
  const failed = results.filter((r) => r.failed !== undefined).sort((a, b) => a.failed! - b.failed!);
  const summary: Summary = {
    seeds: results.reduce((n, r) => n + r.done, 0),
    from: args.from,
    violations: failed.length,
    firstViolation: failed[0]?.failed,
    steps: results.reduce((n, r) => n + r.steps, 0),
    clusterHours: results.reduce((n, r) => n + r.simulatedMs, 0) / 3_600_000,
    instanceHours: results.reduce((n, r) => n + r.instanceMs, 0) / 3_600_000,
    wallSeconds: (performance.now() - started) / 1000,
  };
  console.log(
    `${summary.seeds} seed(s) from ${summary.from}: ${summary.violations} violation(s); ` +
      `${summary.clusterHours.toFixed(2)} simulated cluster-hours (${summary.instanceHours.toFixed(2)} instance-hours), ` +
      `${summary.steps} steps, ${summary.wallSeconds.toFixed(1)} s`,
  );
  if (args.json) writeFileSync(args.json, JSON.stringify(summary, null, 2));
  if (args.digest) writeFileSync(args.digest, results.flatMap((r) => r.digests).join('\n') + '\n');
  if (failed.length > 0) {
    const seed = failed[0].failed!;
    const first = failed[0].result ?? (await simulate(seed, { ...args.options, trace: true }));
    // (A bulk run's result holds only the violation's line, and no stack traces: replayed with its trace.)
    const result = first.fingerprint ? first : await simulate(seed, { ...args.options, trace: true });
    const shrunk = args.shrink
      ? await shrink(seed, result, args.options)
      : {
          knobs: {
            instances: result.stats.instances,
            disabled: [...(args.options.knobs?.disabled ?? [])],
            partitions: scenarioOf(seed, args.options.knobs).partitions,
          },
          result,
          attempts: 0,
        };
    console.log(report(shrunk, args.options));
    process.exitCode = 1;
  }
}

await main();
