/**
 * The deterministic simulator: 3–7 engine instances (real TaskManagerOrchestrators) in one process on the
 * in-process driver's store, each with its own skewed, drifting clock, under a seeded schedule of faults;
 * invariants checked after every step. See docs/simulation.md.
 */
import type { LoggerService } from '@nestjs/common';
import type {
  CoordinationPort,
  PublishItem,
  PublishResult,
  ReclaimResult,
  RunMessage,
} from '../../libs/task-manager/src/engine/coordination.port.js';
import { TaskManagerEvents } from '../../libs/task-manager/src/engine/task-manager-events.js';
import { TaskManagerOrchestrator } from '../../libs/task-manager/src/engine/task-manager.orchestrator.js';
import { createMemoryCoordination } from '../../libs/task-manager/src/memory/memory-coordination.js';
import { MemoryStore } from '../../libs/task-manager/src/memory/memory-store.js';
import { engineSettings } from '../../libs/task-manager/src/engine/engine-settings.js';
import { resolveOptions } from '../../libs/task-manager/src/options/resolve-options.js';
import type { ResolvedTaskManagerOptions } from '../../libs/task-manager/src/options/resolved-options.js';
import type { TaskContext } from '../../libs/task-manager/src/decorators/task-context.interface.js';
import { encodeTaskId } from '../../libs/task-manager/src/registry/task-id.js';
import { TaskRegistry } from '../../libs/task-manager/src/registry/task-registry.js';
import { makeTask } from '../../libs/task-manager/test/support/task-definition.fixture.js';
import { engineInternals, type EngineMaps } from './engine-internals.js';
import { Link, networkPort, type AppliedCall } from './network.js';
import { Rng } from './prng.js';
import { revertLateCreate, type SimFlags } from './reverts.js';
import { scenarioOf, type Fault, type Scenario, type ScenarioKnobs } from './scenario.js';
import { SimHost, SimTimers } from './sim-host.js';
import { Trace } from './trace.js';
import { World } from './world.js';

export type { SimFlags } from './reverts.js';

export interface SimOptions {
  knobs?: ScenarioKnobs;
  flags?: SimFlags;
  /** Keep the trace (for a violation report); off for bulk runs, on when replaying. */
  trace?: boolean;
  /** Compute `digest` (a hash of the run's trajectory and outcome: to check that a change keeps every seed's run). */
  digest?: boolean;
}

export interface Violation {
  invariant: string;
  at: number;
  message: string;
  taskId?: string;
  /** The stretch of simulated time the trace shows (default: the minute before `at`). */
  from?: number;
  to?: number;
}

export interface SimStats {
  steps: number;
  instances: number;
  simulatedMs: number;
  executions: number;
  recorded: number;
  published: number;
  faults: number;
  /** Date.now / Math.random calls made inside the simulated world (must stay 0: they break replay). */
  realClockReads: number;
}

export interface SimResult {
  seed: number;
  violation?: Violation;
  /** The trace around the violation (with `trace`). */
  trace?: string[];
  /** A hash of the whole trace (with `trace`): two replays of a seed give the same. */
  fingerprint?: string;
  /** With `digest`: every step's time, every handler execution, every recording, the violation and the stats. */
  digest?: string;
  stats: SimStats;
}

/** Start of every simulation: 2030-01-01T12:00:00Z. */
const ORIGIN = Date.UTC(2030, 0, 1, 12);
/** A run may start this much before its slot (cluster-clock estimates from replies). */
const EARLY_TOLERANCE_MS = 250;
/** Every published run is recorded within this long (simulated) once the cluster is healed. */
const LIVENESS_BOUND_MS = 20_000;
/** After the heal, slots from then on must be published or gated. */
const HEAL_SETTLE_MS = 20_000;
/** Slack of the unled-partition bound (see Simulation.unledBoundMs). */
const UNLED_SLACK_MS = 2000;
/** Kinds of run under one run id (Simulation.kinds): a trigger, anything else. */
const TRIGGER = 1;
const SCHEDULED = 2;
/** The store calls `applied` looks at; with the trace, also TRACED_CALLS. */
const OBSERVED_CALLS = new Set(['runs.complete', 'schedule.publish', 'runs.start']);
const TRACED_CALLS = new Set(['runs.read', 'runs.handBack', 'runs.requeue', 'schedule.reclaimExpired']);
const silent: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** One handler execution, as the handler saw it. */
interface Execution {
  n: number;
  worker: string;
  slotIndex: number;
  host: SimHost;
  taskId: string;
  slot: number;
  attempt: number;
  allowParallel: boolean;
  start: number;
  end?: number;
  how?: 'ok' | 'failed' | 'aborted' | 'killed';
  /** Its process was paused (SIGSTOP) while it ran: it cannot have stopped itself in time. */
  paused: boolean;
  /** The store was wiped while it ran, or between its start in the store and its handler (a late reply). */
  wiped: boolean;
}

/** One instance index and its current incarnation (a process). */
interface Slot {
  index: number;
  incarnation: number;
  status: 'down' | 'up' | 'stopping';
  worker: string;
  host?: SimHost;
  timers?: SimTimers;
  link?: Link;
  inner?: CoordinationPort;
  port?: CoordinationPort;
  orchestrator?: TaskManagerOrchestrator;
  /** Its orchestrator's internal maps (the memory invariant). */
  maps?: EngineMaps;
  registry?: TaskRegistry;
  stoppingSince?: number;
  active: Set<Execution>;
  /** When its process was last SIGKILLed. */
  killedAt: number[];
  /** Link trouble (frozen, lossy, duplicating): a completion may not have been recorded meanwhile. */
  troubles: Array<{ from: number; to: number }>;
}

/** Runs the simulation of `seed`. */
export async function simulate(seed: number, options: SimOptions = {}): Promise<SimResult> {
  const simulation = new Simulation(scenarioOf(seed, options.knobs), options);
  return simulation.run();
}

class Simulation {
  private readonly world: World;
  private readonly rng: Rng;
  private readonly store: MemoryStore;
  private readonly trace: Trace;
  private readonly resolved: ResolvedTaskManagerOptions;
  private readonly slots: Slot[];
  private readonly executions: Execution[] = [];
  private readonly activeByTask = new Map<string, Set<Execution>>();
  private readonly recorded = new Map<string, { at: number; era: number; worker: string; startedAt: number }>();
  /** Every run put on a queue (published, handed back, re-published), by run: when last, in which era. */
  private readonly publishedRuns = new Map<string, { taskId: string; at: number; era: number }>();
  /** Per static task: [from, to) ranges of slots the leader decided on (published, gated or skipped). */
  private readonly decided = new Map<string, Array<[number, number]>>();
  /** Per era: the last term that published, and each term's worker. */
  private readonly terms = new Map<number | string, { last: number; workers: Map<number, string> }>();
  /**
   * Runs the store dropped because their dynamic task was deleted (by design: nothing is recorded for a task
   * whose definition is gone), by run: when. Seen as a start or completion answered `deleted`, or a one-off
   * run skipped by the leader while no definition of its task exists.
   */
  private readonly droppedRuns = new Map<string, number>();
  /**
   * The era in which the store started each run (`worker|task|slot|attempt`), until its handler begins: a wipe
   * between the two erased its running marker, as for a run already running (seed 36750).
   */
  private readonly startedInEra = new Map<string, number>();
  /** Per run id: which kinds of run were put on a queue under it (bits: TRIGGER, SCHEDULED). */
  private readonly kinds = new Map<string, number>();
  private readonly wipes: number[] = [];
  private era = 0;
  private healing = false;
  private healAt: number;
  private endAt: number;
  private violation?: Violation;
  /** Per partition: since when it has had no live leader (after the heal has settled). */
  private readonly unledSince: Array<number | undefined>;
  /**
   * After the heal has settled, no partition stays without a live leader longer than this: a leader lease
   * TTL (a dead or stopped holder's lease expires), a yield delay (when only instances at their share are up),
   * a worker watch interval, and some slack.
   */
  private readonly unledBoundMs: number;
  private realClockReads = 0;
  private readonly handlerFaults: boolean;
  private readonly leaseTtlMs: number;
  private readonly heartbeatMs: number;
  private readonly tracing: boolean;

  constructor(
    private readonly scenario: Scenario,
    private readonly options: SimOptions,
  ) {
    this.rng = new Rng(scenario.runSeed);
    this.world = new World(ORIGIN, this.rng.fork());
    const serverHost = new SimHost(this.world, 'redis');
    this.store = new MemoryStore(new SimTimers(this.world, serverHost, 0, 0, this.rng.fork()));
    this.trace = new Trace(ORIGIN, options.trace ? 50_000 : 2000);
    this.tracing = options.trace === true;
    // Every run put on a queue, whoever did it (a publish with its gates, a hand-back, a recovery), in its
    // task's partition.
    for (const part of this.store.split(scenario.partitions)) this.watchEnqueue(part);
    this.resolved = resolveOptions(
      {
        keyPrefix: 'sim',
        partitions: scenario.partitions,
        logger: silent,
        leaderHeartbeatInterval: 1,
        leaderRetryInterval: 1,
        runningHeartbeatInterval: 1,
        reconciliationInterval: 5,
        streamBlockMs: 2000,
        concurrentTasks: scenario.concurrentTasks,
        shutdownTimeoutMs: 3000,
        misfireToleranceMs: scenario.misfireToleranceMs,
        maxDeliveries: 3,
        retryBackoff: 1,
        retryBackoffMax: 8,
      },
      '/nonexistent',
    );
    this.heartbeatMs = this.resolved.runningHeartbeatInterval * 1000;
    const settings = engineSettings(this.resolved);
    this.unledBoundMs =
      settings.election.leaseTtlMs + settings.leaseBalancer.yieldMs + settings.workerWatch.intervalMs + UNLED_SLACK_MS;
    this.leaseTtlMs = this.heartbeatMs * 3;
    this.handlerFaults = !options.knobs?.disabled?.has('handlers');
    // (Every field set from the start: one shape for every slot, which `observe` reads after every step.)
    this.slots = scenario.instances.map((_, index) => ({
      index,
      incarnation: 0,
      status: 'down',
      worker: '',
      host: undefined,
      timers: undefined,
      link: undefined,
      inner: undefined,
      port: undefined,
      orchestrator: undefined,
      maps: undefined,
      registry: undefined,
      stoppingSince: undefined,
      active: new Set(),
      killedAt: [],
      troubles: [],
    }));
    this.unledSince = Array.from({ length: scenario.partitions }, () => undefined);
    this.healAt = ORIGIN + scenario.faultPhaseMs;
    this.endAt = this.healAt + scenario.healPhaseMs;
  }

  /** Notes every run `store` (a partition's) puts on a queue. */
  private watchEnqueue(store: MemoryStore): void {
    const enqueue = store.enqueue.bind(store);
    store.enqueue = (highPriority, run) => {
      const key = `${run.taskId}|${run.slot}|${run.attempt}`;
      // A trigger never gets a slot's run id (finding 2, fixed: a trigger's slot is never a cron slot).
      const kinds = (this.kinds.get(key) ?? 0) | (run.kind === 'trigger' ? TRIGGER : SCHEDULED);
      this.kinds.set(key, kinds);
      if (kinds === (TRIGGER | SCHEDULED))
        this.fail(
          'trigger-collision',
          `${run.taskId}@${this.at(run.slot)} #${run.attempt}: a trigger and a scheduled run share this run id`,
          run.taskId,
        );
      this.publishedRuns.set(key, { taskId: run.taskId, at: this.world.now, era: this.era });
      return enqueue(highPriority, run);
    };
  }

  async run(): Promise<SimResult> {
    const { world, scenario } = this;
    const realNow = Date.now;
    const realRandom = Math.random;
    // A bulk run captures no stack traces: nothing in a simulation reads one (a failed handler's error is kept
    // as text in the store's history; a crash is reported by its replay, which traces), and capturing and
    // formatting them (source-mapped under a test runner) cost up to a quarter of a run. A replay keeps them.
    const stackTraceLimit = Error.stackTraceLimit;
    if (!this.tracing) Error.stackTraceLimit = 0;
    // Reported at the world's real turns (see World), those still unhandled then, in the order they came.
    const rejections = new Map<Promise<unknown>, unknown>();
    const unhandled = (reason: unknown, promise: Promise<unknown>) => rejections.set(promise, reason);
    const handled = (promise: Promise<unknown>) => rejections.delete(promise);
    world.onTurn = () => {
      for (const reason of rejections.values())
        this.fail('unhandled-rejection', String((reason as Error)?.stack ?? reason));
      rejections.clear();
    };
    Date.now = () => {
      this.realClockReads++;
      return Math.floor(world.now);
    };
    // (Libraries draw from it, e.g. cron-parser once per expression parsed by this process, cached after: their
    // draws come from a stream of their own, so that they never shift the simulation's.)
    const libraryRandom = new Rng(scenario.runSeed ^ 0x5bd1e995);
    Math.random = () => {
      this.realClockReads++;
      return libraryRandom.next();
    };
    process.on('unhandledRejection', unhandled);
    process.on('rejectionHandled', handled);
    world.hashing = this.options.digest === true;
    try {
      scenario.instances.forEach((spec, i) => world.at(ORIGIN + spec.startAtMs, () => this.boot(this.slots[i])));
      for (const fault of scenario.faults) world.at(ORIGIN + fault.at, () => this.inject(fault));
      world.at(this.healAt, () => this.heal());
      await world.run(this.endAt, () => this.observe(), 3_000_000);
      if (!this.violation) this.finalChecks();
    } catch (error) {
      this.fail('crash', String((error as Error).stack ?? error));
    } finally {
      Date.now = realNow;
      Math.random = realRandom;
      Error.stackTraceLimit = stackTraceLimit;
      process.off('unhandledRejection', unhandled);
      process.off('rejectionHandled', handled);
      for (const slot of this.slots) if (slot.host) slot.host.kill();
    }
    const stats: SimStats = {
      steps: world.steps,
      instances: scenario.instances.length,
      simulatedMs: world.now - ORIGIN,
      executions: this.executions.length,
      recorded: this.recorded.size,
      published: this.publishedRuns.size,
      faults: scenario.faults.length,
      realClockReads: this.realClockReads,
    };
    return {
      seed: scenario.seed,
      violation: this.violation,
      trace: this.violation
        ? this.trace.about(
            this.violation.taskId,
            this.violation.from ?? this.violation.at - 60_000,
            this.violation.to ?? this.violation.at,
          )
        : undefined,
      fingerprint: this.options.trace ? this.trace.fingerprint() : undefined,
      digest: this.options.digest ? this.digest(stats) : undefined,
      stats,
    };
  }

  /** See SimResult.digest (realClockReads left out: it varies with the process's library caches). */
  private digest(stats: SimStats): string {
    const parts = [
      JSON.stringify({ ...stats, realClockReads: 0 }),
      // (A crash's message holds a stack, whose line numbers move with the code: its first line only.)
      JSON.stringify(this.violation ? { ...this.violation, message: this.violation.message.split('\n')[0] } : null),
      this.world.stepHash.toString(16),
      String(this.rng.next()),
      ...this.executions.map(
        (e) =>
          `${e.n} ${e.worker} ${e.taskId} ${e.slot} ${e.attempt} ${e.start} ${e.end} ${e.how} ${e.paused} ${e.wiped}`,
      ),
      ...[...this.recorded].map(([key, r]) => `${key} ${r.at} ${r.era} ${r.worker} ${r.startedAt}`),
      ...[...this.publishedRuns].map(([key, r]) => `${key} ${r.at} ${r.era}`),
    ];
    let h = 0x811c9dc5;
    for (const text of parts)
      for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    return `${stats.steps}:${h.toString(16).padStart(8, '0')}`;
  }

  // ---------------------------------------------------------------- instances

  private boot(slot: Slot): void {
    const { world, store, scenario } = this;
    const spec = scenario.instances[slot.index];
    slot.incarnation++;
    const worker = `i${slot.index}.${slot.incarnation}`;
    const host = new SimHost(world, worker);
    const timers = new SimTimers(world, host, spec.skewMs, spec.drift, this.rng.fork());
    const link = new Link(world, this.rng.fork());
    const inner = createMemoryCoordination(this.resolved, worker, silent, store);
    if (this.options.flags?.refuseLateCreate === false) revertLateCreate(inner, store);
    const port = networkPort(inner, {
      world,
      host,
      link,
      store,
      worker,
      options: { commandTimeoutMs: 1000, rereadAfterReconnect: this.options.flags?.rereadAfterReconnect ?? true },
      observes: (name) => this.observes(name),
      onApplied: (call) => this.applied(call),
      onReply: (name, fate) => this.note(worker, () => `reply ${fate}: ${name}`),
    });
    const registry = new TaskRegistry();
    const handler = (_kwargs: unknown, ctx: TaskContext) => this.handle(slot, host, timers, registry, ctx);
    registry.addGroup({ name: 'dyn', tags: [], className: 'Dyn' });
    registry.addFunction({ groupName: 'dyn', name: 'work', handler, source: 'Dyn.work' });
    for (const task of scenario.tasks) {
      registry.addTask(
        makeTask({
          groupName: 'sim',
          name: task.name,
          expression: `*/${task.everySeconds} * * * * *`,
          allowParallel: task.allowParallel,
          highPriority: task.highPriority,
          timeoutMs: task.timeoutMs,
          maxAttempts: task.maxAttempts,
          misfirePolicy: task.misfirePolicy,
          handler,
        }),
      );
    }
    const logger = this.loggerOf(worker);
    const events = new TaskManagerEvents(logger);
    events.on('leadership.gained', (e) => this.note(worker, () => `leader (epoch ${e.epoch})`));
    const orchestrator = new TaskManagerOrchestrator(
      this.resolved,
      port,
      { id: worker, host: 'sim', pid: slot.index, startedAt: timers.now() },
      logger,
      registry,
      events,
      timers,
    );
    const maps = engineInternals(orchestrator);
    Object.assign(slot, { status: 'up', worker, host, timers, link, inner, port, orchestrator, maps, registry });
    slot.active = new Set();
    this.note(worker, () => `boot (skew ${Math.round(spec.skewMs)} ms, drift ${(spec.drift * 100).toFixed(2)} %)`);
    // As EngineStartup: start, retried while the backend does not answer.
    const start = () =>
      orchestrator.start().catch(() => {
        if (slot.orchestrator === orchestrator && slot.status === 'up') timers.setTimeout(start, 500);
      });
    host.deliver(() => void start());
  }

  private loggerOf(worker: string): LoggerService {
    const line = (level: string) => (message: unknown) => this.note(worker, () => `${level}: ${String(message)}`);
    return { log: line('log'), warn: line('warn'), error: line('error') };
  }

  private kill(slot: Slot, why: string): void {
    if (slot.status === 'down' || !slot.host) return;
    slot.host.kill();
    slot.killedAt.push(this.world.now);
    for (const e of slot.active) this.ended(e, 'killed');
    void slot.inner?.lifecycle.close();
    slot.status = 'down';
    this.note(slot.worker, why);
  }

  private stop(slot: Slot): void {
    if (slot.status !== 'up' || !slot.orchestrator) return;
    const { host, orchestrator } = slot;
    slot.status = 'stopping';
    slot.stoppingSince = this.world.now;
    this.note(slot.worker, 'graceful stop');
    host!.deliver(() => {
      void orchestrator.onApplicationShutdown().then(() => {
        if (slot.orchestrator !== orchestrator || slot.status !== 'stopping') return;
        this.note(slot.worker, 'stopped (process exits)');
        this.kill(slot, 'exit');
      });
    });
  }

  // ---------------------------------------------------------------- faults

  private inject(fault: Fault): void {
    if (this.healing) return;
    const { world } = this;
    const slot = this.slots[fault.target % this.slots.length];
    const { host, link } = slot;
    const until = world.now + fault.durationMs;
    const later = (fn: () => void) =>
      world.at(until, () => {
        if (!this.healing && slot.host === host) fn();
      });
    switch (fault.kind) {
      case 'kill':
        if (slot.status !== 'up') return;
        this.kill(slot, 'SIGKILL');
        later(() => slot.status === 'down' && this.boot(slot));
        return;
      case 'stop':
        if (slot.status !== 'up') return;
        this.stop(slot);
        world.at(until, () => !this.healing && slot.status === 'down' && this.boot(slot));
        return;
      case 'pause':
        if (slot.status === 'down' || !host || host.state !== 'running') return;
        host.pause();
        for (const e of slot.active) e.paused = true;
        this.note(slot.worker, () => `SIGSTOP for ${Math.round(fault.durationMs)} ms`);
        later(() => {
          this.note(slot.worker, 'SIGCONT');
          host.resume();
        });
        return;
      case 'freeze':
        if (slot.status === 'down' || !link || link.frozen) return;
        link.frozen = true;
        this.trouble(slot, until);
        this.note(slot.worker, () => `link frozen for ${Math.round(fault.durationMs)} ms`);
        later(() => {
          this.note(slot.worker, 'link thawed');
          link.thaw();
        });
        return;
      case 'latency':
        if (!link) return;
        link.extraDelayMs = fault.value;
        this.note(slot.worker, () => `latency +${Math.round(fault.value)} ms for ${Math.round(fault.durationMs)} ms`);
        later(() => (link.extraDelayMs = 0));
        return;
      case 'lossy':
      case 'duplicate':
        if (!link) return;
        if (fault.kind === 'lossy') link.lossRate = fault.value;
        else link.duplicateRate = fault.value;
        this.trouble(slot, until);
        this.note(slot.worker, () => `${fault.kind} replies (${Math.round(fault.value * 100)} %)`);
        later(() => (fault.kind === 'lossy' ? (link.lossRate = 0) : (link.duplicateRate = 0)));
        return;
      case 'wipe':
        this.store.clear();
        this.era++;
        this.wipes.push(world.now);
        for (const set of this.activeByTask.values()) for (const e of set) e.wiped = true;
        this.note('redis', 'FLUSHALL');
        return;
      case 'dynamic':
        return this.dynamicOp(slot, fault);
      case 'trigger': {
        if (slot.status !== 'up' || !slot.port || !slot.orchestrator) return;
        const task = this.scenario.tasks[fault.value % this.scenario.tasks.length];
        const taskId = encodeTaskId('sim', task.name);
        this.note(slot.worker, () => `trigger ${task.name}`, taskId);
        const { port, orchestrator } = slot;
        host!.deliver(
          () =>
            void port.state
              .trigger([taskId])
              .then(() => orchestrator.notifyScheduleChanged())
              .catch(() => undefined),
        );
        return;
      }
      default:
        return;
    }
  }

  private dynamicOp(slot: Slot, fault: Fault): void {
    if (slot.status !== 'up' || !slot.orchestrator) return;
    const name = `d${fault.target % 3}`;
    const every = [2, 3, 5][fault.target % 3];
    const dynamic = slot.orchestrator.dynamicTasks;
    const create = () =>
      dynamic.create({ groupName: 'dyn', functionName: 'work', name, cronExpression: `*/${every} * * * * *` });
    const op = ['create', 'delete', 'update'][fault.value % 3];
    this.note(slot.worker, () => `dynamic ${op} ${name}`, encodeTaskId('dyn', name));
    slot.host!.deliver(() => {
      const done =
        op === 'create'
          ? create()
          : op === 'delete'
            ? dynamic.delete('dyn', name)
            : dynamic.delete('dyn', name).then(create, create);
      void done.catch(() => undefined);
    });
  }

  private trouble(slot: Slot, until: number): void {
    slot.troubles.push({ from: this.world.now, to: until });
  }

  /** Everything heals: processes resume, links thaw, instances down come back. */
  private heal(): void {
    this.healing = true;
    this.note('sim', 'heal');
    for (const slot of this.slots) {
      slot.link?.heal();
      if (slot.host?.state === 'paused') slot.host.resume();
      if (slot.status === 'down') this.boot(slot);
    }
  }

  // ---------------------------------------------------------------- handlers

  private handle(slot: Slot, host: SimHost, timers: SimTimers, registry: TaskRegistry, ctx: TaskContext) {
    const { world } = this;
    const taskId = encodeTaskId(ctx.groupName, ctx.taskName);
    const e: Execution = {
      n: this.executions.length + 1,
      worker: host.name,
      slotIndex: slot.index,
      host,
      taskId,
      slot: ctx.scheduledAt.getTime(),
      attempt: ctx.attempt,
      allowParallel: registry.getTask(taskId)?.allowParallel ?? true,
      start: world.now,
      paused: false,
      wiped: false,
    };
    const startKey = `${host.name}|${taskId}|${e.slot}|${e.attempt}`;
    e.wiped = (this.startedInEra.get(startKey) ?? this.era) < this.era;
    this.startedInEra.delete(startKey);
    this.executions.push(e);
    this.started(slot, e);
    const task = registry.getTask(taskId);
    const timeoutMs = task?.timeoutMs ?? null;
    let ms = this.rng.range(20, 400);
    let fails = false;
    let hangs = false;
    if (this.handlerFaults && !this.healing) {
      const r = this.rng.next();
      if (r < 0.1) fails = true;
      else if (r < 0.2) ms = this.rng.range(2000, 12_000);
      else if (r < 0.28 && timeoutMs !== null) ms = timeoutMs + this.rng.range(200, 3000);
      else if (r < 0.34 && timeoutMs !== null) hangs = true;
    }
    this.note(
      host.name,
      () =>
        `handler ${ctx.taskName}@${this.at(e.slot)} #${e.attempt} ` +
        (hangs ? 'hangs' : fails ? `fails after ${Math.round(ms)} ms` : `runs ${Math.round(ms)} ms`),
      taskId,
    );
    return new Promise<void>((resolve, reject) => {
      const finish = (result: 'ok' | 'failed' | 'aborted', error?: unknown) => {
        if (e.end !== undefined) return;
        timers.clearTimeout(timer);
        this.ended(e, result);
        if (result === 'ok') resolve();
        else reject(error instanceof Error ? error : new Error(String(error)));
      };
      const timer = hangs
        ? undefined
        : timers.setTimeout(() => (fails ? finish('failed', new Error('simulated failure')) : finish('ok')), ms);
      // Simulated handlers honour their signal (timeout, shutdown, a lease lost): they stop at once, also when
      // it was aborted before they were called (no 'abort' event comes then).
      if (ctx.signal.aborted) finish('aborted', ctx.signal.reason);
      else ctx.signal.addEventListener('abort', () => finish('aborted', ctx.signal.reason), { once: true });
    });
  }

  private started(slot: Slot, e: Execution): void {
    if (e.start < e.slot - EARLY_TOLERANCE_MS)
      this.fail(
        'early-start',
        `${e.worker} started ${e.taskId}@${this.at(e.slot)} ${Math.round(e.slot - e.start)} ms before its slot`,
        e.taskId,
      );
    const others = this.activeByTask.get(e.taskId) ?? new Set<Execution>();
    for (const x of others) {
      if (x.paused || x.wiped || e.wiped) continue;
      const same = x.slot === e.slot && x.attempt === e.attempt;
      if (same || !e.allowParallel)
        this.fail(
          same ? 'double-run' : 'parallel-overlap',
          `${e.worker} started ${e.taskId}@${this.at(e.slot)} #${e.attempt} while ${x.worker} still runs ` +
            `${this.at(x.slot)} #${x.attempt} (since ${this.at(x.start)})`,
          e.taskId,
        );
    }
    others.add(e);
    this.activeByTask.set(e.taskId, others);
    slot.active.add(e);
    if (slot.active.size > this.scenario.concurrentTasks)
      this.fail(
        'concurrency',
        `${e.worker} runs ${slot.active.size} handlers (concurrentTasks ${this.scenario.concurrentTasks})`,
        e.taskId,
      );
  }

  private ended(e: Execution, how: NonNullable<Execution['how']>): void {
    if (e.end !== undefined) return;
    e.end = this.world.now;
    e.how = how;
    this.activeByTask.get(e.taskId)?.delete(e);
    this.slots[e.slotIndex].active.delete(e);
    if (how !== 'ok')
      this.note(e.worker, () => `handler ${e.taskId}@${this.at(e.slot)} #${e.attempt} ${how}`, e.taskId);
  }

  // ---------------------------------------------------------------- observations of the store

  /** Whether `applied` looks at the calls named `name` (the network reports no other: an object per call saved). */
  private observes(name: string): boolean {
    return OBSERVED_CALLS.has(name) || (this.tracing && TRACED_CALLS.has(name));
  }

  private applied(call: AppliedCall): void {
    if (call.error !== undefined) return;
    if (call.name === 'runs.complete') {
      const result = call.result as string;
      const run = call.args[1] as { taskId: string; slot: number; attempt: number };
      this.note(
        call.worker,
        () => `complete ${run.taskId}@${this.at(run.slot)} #${run.attempt}: ${result}`,
        run.taskId,
      );
      const key = `${run.taskId}|${run.slot}|${run.attempt}`;
      if (result === 'deleted') this.droppedRuns.set(key, this.world.now);
      if (result !== 'recorded' && result !== 'recordedAfterLoss') return;
      const earlier = this.recorded.get(key);
      // What the store holds, not what the reply says: a completion applied twice (an ioredis re-send) answers
      // "recorded" again but writes nothing the second time.
      // (Read on every recording, as the store's expiry of a history happens on its reads.)
      const records = this.recordsOf(run);
      if (earlier && records > 1)
        this.fail(
          'recorded-twice',
          `${run.taskId}@${this.at(run.slot)} #${run.attempt} recorded by ${call.worker}, already recorded by ${earlier.worker} at ${this.at(earlier.at)}`,
          run.taskId,
        );
      this.recorded.set(key, {
        at: this.world.now,
        era: this.era,
        worker: call.worker,
        startedAt: (call.args[2] as { startedAt: number }).startedAt,
      });
    } else if (call.name === 'schedule.publish') {
      this.published(
        call.worker,
        call.partition ?? 0,
        call.args[0] as string,
        call.args[2] as PublishItem[],
        call.result as PublishResult,
      );
    } else if (this.tracing && call.name === 'runs.read') {
      for (const run of call.result as RunMessage[])
        this.note(
          call.worker,
          `delivered ${run.taskId}@${this.at(run.slot)} #${run.attempt} (${run.messageId})`,
          run.taskId,
        );
    } else if (call.name === 'runs.start') {
      const runs = call.args[1] as Array<{ run: RunMessage }>;
      runs.forEach(({ run }, i) => {
        const decision = (call.result as string[])[i];
        if (decision === 'deleted') this.droppedRuns.set(`${run.taskId}|${run.slot}|${run.attempt}`, this.world.now);
        if (decision === 'start')
          this.startedInEra.set(`${call.worker}|${run.taskId}|${run.slot}|${run.attempt}`, this.era);
        this.note(
          call.worker,
          () => `start ${run.taskId}@${this.at(run.slot)} #${run.attempt}: ${decision}`,
          run.taskId,
        );
      });
    } else if (this.options.trace && (call.name === 'runs.handBack' || call.name === 'runs.requeue')) {
      const runs = call.name === 'runs.requeue' ? [call.args[0] as RunMessage] : (call.args[1] as RunMessage[]);
      for (const run of runs)
        this.note(
          call.worker,
          `${call.name.slice(5)} ${run.taskId}@${this.at(run.slot)} #${run.attempt} -> ${JSON.stringify(call.result)}`,
          run.taskId,
        );
    } else if (this.tracing && call.name === 'schedule.reclaimExpired') {
      const result = call.result as ReclaimResult;
      for (const taskId of result.taskIds) this.note(call.worker, () => `reclaimed a run of ${taskId}`, taskId);
      for (const run of result.exhausted)
        this.note(call.worker, () => `exhausted ${run.taskId}@${this.at(run.slot)}`, run.taskId);
    }
  }

  /** How many times the store's history holds `run` (slot and attempt). */
  private recordsOf(run: { taskId: string; slot: number; attempt: number }): number {
    let n = 0;
    for (const r of this.store.of(run.taskId).history(run.taskId)?.records ?? [])
      if (r.scheduledAt === run.slot && r.attempt === run.attempt) n++;
    return n;
  }

  private published(
    worker: string,
    partition: number,
    token: string,
    items: PublishItem[],
    result: PublishResult,
  ): void {
    const epoch = Number(token.slice(token.lastIndexOf('|') + 1));
    // (Terms are a partition's: each has its lease and epochs. With one partition, the key is the era alone.)
    const termKey = this.scenario.partitions === 1 ? this.era : `${this.era}/${partition}`;
    const term = this.terms.get(termKey) ?? { last: 0, workers: new Map<number, string>() };
    this.terms.set(termKey, term);
    const where = this.scenario.partitions === 1 ? '' : ` of partition ${partition}`;
    const owner = term.workers.get(epoch);
    if (owner !== undefined && owner !== worker)
      this.fail('leader-term', `term ${epoch}${where} published by ${owner} and ${worker}`);
    if (epoch < term.last)
      this.fail('leader-term', `${worker} published in term ${epoch}${where} after term ${term.last} did`);
    term.workers.set(epoch, worker);
    term.last = Math.max(term.last, epoch);
    items.forEach((item, i) => {
      const status = result.statuses[i];
      const { taskId } = item.due;
      if (status === 'published') {
        if (this.tracing)
          for (const slot of item.slots)
            this.note(
              worker,
              () => `publish ${taskId}@${this.at(slot)} #${item.attempt} (${item.kind}) unless gated`,
              taskId,
            );
      } else if (status !== 'moved') {
        this.note(worker, () => `publish ${taskId}@${this.at(item.due.slot)}: ${status}`, taskId);
      }
      // A one-off run of a task the leader does not know is dropped: by design only if nobody can know it.
      if (item.due.source === 'oneOff' && status === 'skipped' && !this.store.of(taskId).dynamic.has(taskId))
        this.droppedRuns.set(`${taskId}|${item.due.slot}|${item.due.attempt}`, this.world.now);
      if (item.due.source === 'scheduled' && status !== 'moved') {
        const ranges = this.decided.get(taskId) ?? [];
        ranges.push([item.due.slot, item.nextSlot]);
        this.decided.set(taskId, ranges);
      }
    });
  }

  // ---------------------------------------------------------------- invariants

  /** After every step. */
  private observe(): boolean {
    if (this.violation) return false;
    const now = this.world.now;
    const { concurrentTasks } = this.scenario;
    for (const slot of this.slots) {
      if (slot.status === 'down' || !slot.orchestrator) continue;
      const maps = slot.maps!;
      // (Its running runs are among those it holds: counted only when they might exceed the bound.)
      if (
        slot.host?.state === 'running' &&
        maps.held.size > concurrentTasks &&
        slot.orchestrator.runningCount > concurrentTasks
      )
        this.fail('concurrency', `${slot.worker} counts ${slot.orchestrator.runningCount} running runs`);
      const timers = slot.timers!.size;
      // (40 with one partition; each more adds its leader's loops: election, scheduler, reconciler, sweep.)
      const timerBound = 40 + 8 * (this.scenario.partitions - 1);
      if (timers > timerBound) this.fail('memory', `${slot.worker}: ${timers} timers armed (bound ${timerBound})`);
      if (maps.held.size > concurrentTasks * 2 + 8) this.fail('memory', `${slot.worker}: ${maps.held.size} runs held`);
      if (maps.toHandBack.size > 64) this.fail('memory', `${slot.worker}: ${maps.toHandBack.size} runs to hand back`);
      if (maps.finished.size > 2000)
        this.fail('memory', `${slot.worker}: ${maps.finished.size} finished runs remembered`);
      if (maps.localChanges.size > 64)
        this.fail('memory', `${slot.worker}: ${maps.localChanges.size} local dynamic changes`);
      if (slot.status === 'stopping' && now - slot.stoppingSince! > this.resolved.shutdownTimeoutMs + 15_000)
        this.fail(
          'shutdown',
          `${slot.worker} still stopping ${Math.round(now - slot.stoppingSince!)} ms after SIGTERM`,
        );
    }
    if (this.healing && now >= this.healAt + HEAL_SETTLE_MS) {
      this.checkLed(now);
      const stale = 2 * this.leaseTtlMs + this.heartbeatMs + 2000;
      for (const part of this.store.partitions)
        for (const stream of [part.high, part.normal])
          for (const d of stream.pending.values())
            if (now - d.touchedAt > stale)
              this.fail(
                'stranded-pending',
                `${d.entry.taskId}@${this.at(d.entry.slot)} pending on ${d.consumer}, untouched for ${Math.round(now - d.touchedAt)} ms`,
                d.entry.taskId,
              );
    }
    return !this.violation;
  }

  /** The worker holding partition `index`'s lease at `now` (read without expiring it), if any. */
  private holderOf(index: number, now: number): string | undefined {
    const lease = this.store.partitions[index].leader;
    if (!lease || lease.expiresAt <= now) return undefined;
    return lease.token.slice(0, lease.token.lastIndexOf('|'));
  }

  /** Every partition has a live leader, but for a moment (a lease expiring, handed over). */
  private checkLed(now: number): void {
    const up = new Set(this.slots.filter((slot) => slot.status === 'up').map((slot) => slot.worker));
    if (up.size === 0) return;
    for (let index = 0; index < this.unledSince.length; index++) {
      const holder = this.holderOf(index, now);
      if (holder !== undefined && up.has(holder)) {
        this.unledSince[index] = undefined;
        continue;
      }
      const since = (this.unledSince[index] ??= now);
      if (now - since > this.unledBoundMs)
        this.fail(
          'unled-partition',
          `partition ${index} of ${this.unledSince.length} without a live leader for ${Math.round(now - since)} ms (bound ${this.unledBoundMs})`,
        );
    }
  }

  /** Several partitions: at the end, no live instance leads more than ⌈P / live instances⌉ of them. */
  private checkSpread(): void {
    const P = this.scenario.partitions;
    const up = this.slots.filter((slot) => slot.status === 'up');
    if (P === 1 || up.length === 0) return;
    const target = Math.ceil(P / up.length);
    for (const slot of up) {
      const led: number[] = [];
      for (let index = 0; index < P; index++) if (this.holderOf(index, this.world.now) === slot.worker) led.push(index);
      if (led.length > target)
        this.fail(
          'lease-spread',
          `${slot.worker} leads partitions ${led.join(', ')} of ${P}: more than ⌈${P} / ${up.length}⌉ = ${target}`,
        );
    }
  }

  /** At the end: every run published is recorded, every slot after the heal is decided. */
  private finalChecks(): void {
    this.checkSpread();
    const lastWipe = this.wipes.at(-1) ?? 0;
    for (const [key, run] of this.publishedRuns) {
      if (run.at > this.endAt - LIVENESS_BOUND_MS || run.at < lastWipe) continue;
      // Its dynamic task was deleted meanwhile: the store dropped it (as the misfire policy explains a slot).
      const dropped = this.droppedRuns.get(key);
      if (dropped !== undefined && dropped >= run.at) continue;
      if (!this.recorded.has(key)) {
        const [, slot, attempt] = key.split('|');
        this.fail(
          'lost-run',
          `${run.taskId}@${this.at(Number(slot))} #${attempt} published at ${this.at(run.at)}, never recorded`,
          run.taskId,
          {
            from: run.at - 10_000,
            to: run.at + LIVENESS_BOUND_MS,
          },
        );
        return;
      }
    }
    for (const task of this.scenario.tasks) {
      const taskId = encodeTaskId('sim', task.name);
      const ranges = this.decided.get(taskId) ?? [];
      const period = task.everySeconds * 1000;
      const from = Math.ceil((this.healAt + HEAL_SETTLE_MS) / period) * period;
      for (let slot = from; slot <= this.endAt - LIVENESS_BOUND_MS; slot += period) {
        if (!ranges.some(([a, b]) => a <= slot && slot < b)) {
          this.fail('missed-slot', `${taskId}@${this.at(slot)} neither published nor gated after the heal`, taskId, {
            from: slot - 20_000,
            to: slot + 5000,
          });
          return;
        }
      }
    }
  }

  private fail(invariant: string, message: string, taskId?: string, window?: { from: number; to: number }): void {
    if (this.violation) return;
    this.violation = { invariant, at: this.world.now, message, taskId, ...window };
    this.note('CHECK', `VIOLATION ${invariant}: ${message}`, taskId);
  }

  /** A trace line; `what` is built only when tracing (bulk runs keep none: a failing seed is replayed with one). */
  private note(who: string, what: string | (() => string), taskId?: string): void {
    if (this.tracing || who === 'CHECK')
      this.trace.add(this.world.now, who, typeof what === 'string' ? what : what(), taskId);
  }

  /** Simulated time `t` as seconds since the start. */
  private at(t: number): string {
    return `${((t - ORIGIN) / 1000).toFixed(3)}s`;
  }
}
