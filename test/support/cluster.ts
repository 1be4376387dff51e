/**
 * Runs real application processes (test/fixtures/cluster-worker.mjs) against one Redis and collects the
 * events they print, for multi-instance and fault tests (SIGKILL, SIGSTOP/SIGCONT, SIGTERM). On the cluster
 * topology (`TM_TEST_TOPOLOGY=cluster`, test/support/layout.ts) the workers coordinate through the run's
 * Redis Cluster instead (`topologyRedis()`), unless a test sets their `redis` option itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTcpProxy, type TcpProxy } from '../../tools/faults/tcp-proxy.mjs';
import { ensureLibraryFresh } from './library-build.js';
import { topologyRedis, waitFor } from './redis.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const workerScript = fileURLToPath(new URL('../fixtures/cluster-worker.mjs', import.meta.url));
const clockSkewPreload = fileURLToPath(new URL('../../tools/faults/clock-skew.mjs', import.meta.url));

/** An event printed by a worker process. */
export interface WorkerEvent {
  type: 'ready' | 'run' | 'end' | 'leader' | 'health' | 'unhandledRejection';
  pid: number;
  /** The worker's clock when it printed the event (shifted when it runs with `clockSkewMs`). */
  t: number;
  /** The real time when the worker printed the event (its clock without the shift of `clockSkewMs`). */
  real: number;
  /**
   * The test process's clock when the event was received: the real time, but trailing the event by up to
   * seconds while the test process is busy (several lines read in one chunk carry the same `at`).
   */
  at: number;
  worker?: string;
  task?: string;
  slot?: number;
  attempt?: number;
  isLeader?: boolean;
  /** Of a `leader` event: the partitions whose lease the worker holds ([0] for the leader of one partition). */
  partitions?: number[];
  healthy?: boolean;
  aborted?: boolean;
  reason?: string;
}

/** Settings of one worker process. */
export interface WorkerSpec {
  /** The Redis of the worker (`REDIS_URL`); on the cluster topology the `redis` option replaces it. */
  redisUrl: string;
  prefix: string;
  tasks?: number;
  taskMs?: number;
  longTaskCron?: string;
  longTaskMs?: number;
  /** Extra TaskManagerModule options; `redis` set here wins over the topology's. */
  options?: Record<string, unknown>;
  /** Shifts the worker's wall clock (Date.now, new Date) by this many ms (tools/faults/clock-skew.mjs). */
  clockSkewMs?: number;
  /** Puts a TCP proxy (tools/faults/tcp-proxy.mjs) between this worker and Redis: `worker.proxy`. */
  proxy?: boolean;
  /** Extra environment variables of the worker (e.g. `{ HTTP_PORT: '0' }` for the fixture's HTTP mode). */
  env?: Record<string, string>;
}

/**
 * The module options of a worker: the spec's, with on the cluster topology the run's Redis Cluster as `redis`
 * (unless the spec sets `redis`: it then chose its Redis itself).
 */
function workerOptions(spec: WorkerSpec): Record<string, unknown> {
  const options = spec.options ?? {};
  if (options.redis !== undefined) return options;
  const redis = topologyRedis();
  if (typeof redis === 'string') return options; // standalone: REDIS_URL
  if (spec.proxy) throw new Error('proxy: true puts a proxy before one server: the test needs the standalone topology');
  return { ...options, redis };
}

/** One worker process. */
export class WorkerProcess {
  readonly child: ChildProcess;
  workerId?: string;
  exited = false;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  /** What the process logged (stderr, and stdout lines that are not events), the last 100-200 KB. */
  output = '';

  /**
   * @param proxy the TCP proxy between this worker and Redis, when `spec.proxy` asked for one
   */
  constructor(
    readonly cluster: Cluster,
    readonly spec: WorkerSpec,
    readonly proxy?: TcpProxy,
  ) {
    const preload = spec.clockSkewMs ? ['--import', clockSkewPreload] : [];
    this.child = spawn(process.execPath, [...preload, workerScript], {
      cwd: root,
      env: {
        ...process.env,
        ...spec.env,
        TM_CLOCK_SKEW_MS: String(spec.clockSkewMs ?? 0),
        REDIS_URL: proxy?.urlFor(spec.redisUrl) ?? spec.redisUrl,
        PREFIX: spec.prefix,
        TASKS: String(spec.tasks ?? 0),
        TASK_MS: String(spec.taskMs ?? 0),
        LONG_TASK_CRON: spec.longTaskCron ?? '',
        LONG_TASK_MS: String(spec.longTaskMs ?? 20_000),
        OPTIONS: JSON.stringify(spec.options ?? {}),
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          const event = { ...JSON.parse(line), at: Date.now() } as WorkerEvent;
          if (event.type === 'ready') this.workerId = event.worker;
          cluster.events.push(event);
        } catch {
          this.log(`${line}\n`); // a log line (Nest's logger writes to stdout)
        }
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => this.log(chunk.toString()));
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      this.exitCode = code;
      this.exitSignal = signal;
      void this.proxy?.close();
    });
  }

  private log(text: string): void {
    this.output += text;
    if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
  }

  get pid(): number {
    return this.child.pid!;
  }

  async ready(timeoutMs = 20_000): Promise<this> {
    await waitFor(() => this.workerId !== undefined || this.exited, {
      timeoutMs,
      message: 'worker ready',
    });
    if (!this.workerId) throw new Error(`worker exited before ready (code ${this.exitCode}):\n${this.output}`);
    return this;
  }

  /** Signals sent to this process, with their time. */
  readonly signals: Array<{ signal: NodeJS.Signals; t: number }> = [];

  signal(signal: NodeJS.Signals): void {
    if (this.exited) return;
    this.signals.push({ signal, t: Date.now() });
    this.child.kill(signal);
  }

  /** When this process was SIGKILLed, if it was. */
  get killedAt(): number | undefined {
    return this.signals.find((s) => s.signal === 'SIGKILL')?.t;
  }

  async exit(timeoutMs = 15_000): Promise<number | null> {
    await waitFor(() => this.exited, {
      timeoutMs,
      message: `worker ${this.pid} exit`,
    });
    return this.exitCode;
  }
}

/** A set of worker processes sharing one prefix, and everything they printed. */
export class Cluster {
  readonly events: WorkerEvent[] = [];
  readonly workers: WorkerProcess[] = [];

  constructor(readonly base: Omit<WorkerSpec, 'redisUrl'> & { redisUrl: string }) {
    // The workers import the built package.
    ensureLibraryFresh();
  }

  /** Starts a worker (behind its own proxy with `proxy: true`) and waits until it is ready. */
  async start(overrides: Partial<WorkerSpec> = {}): Promise<WorkerProcess> {
    const given = { ...this.base, ...overrides };
    const spec = { ...given, options: workerOptions(given) };
    const proxy = spec.proxy ? await startTcpProxy(spec.redisUrl) : undefined;
    const worker = new WorkerProcess(this, spec, proxy);
    this.workers.push(worker);
    return worker.ready();
  }

  alive(): WorkerProcess[] {
    return this.workers.filter((w) => !w.exited);
  }

  /** Live workers currently reporting leadership (a frozen old leader may still claim it). */
  leaders(): WorkerProcess[] {
    const state = new Map<string, boolean>();
    for (const e of this.events) if (e.type === 'leader') state.set(e.worker!, e.isLeader!);
    return this.alive().filter((w) => w.workerId && state.get(w.workerId));
  }

  /** The partitions each live worker reports leading (its latest `leader` event; none before its first). */
  ledPartitions(): Map<WorkerProcess, number[]> {
    const latest = new Map<string, number[]>();
    for (const e of this.events) if (e.type === 'leader') latest.set(e.worker!, e.partitions ?? []);
    return new Map(this.alive().map((w) => [w, (w.workerId && latest.get(w.workerId)) || []]));
  }

  /**
   * The live workers reporting each of `partitions` partitions, by index (a frozen old leader may still report
   * one next to its successor).
   */
  partitionLeaders(partitions: number): WorkerProcess[][] {
    const leaders = Array.from({ length: partitions }, (): WorkerProcess[] => []);
    for (const [worker, led] of this.ledPartitions()) for (const p of led) leaders[p]?.push(worker);
    return leaders;
  }

  /** Waits until each of `partitions` partitions is led by exactly one live worker and `spread` holds of the counts. */
  async waitForPartitionLeaders(
    partitions: number,
    timeoutMs = 20_000,
    spread: (counts: number[]) => boolean = () => true,
  ): Promise<Map<WorkerProcess, number[]>> {
    return waitFor(
      () => {
        const ok = this.partitionLeaders(partitions).every((workers) => workers.length === 1);
        const led = this.ledPartitions();
        return ok && spread([...led.values()].map((p) => p.length)) ? led : undefined;
      },
      { timeoutMs, message: `each of ${partitions} partitions led by one worker` },
    );
  }

  /** The live worker currently reporting leadership, if any. */
  leader(): WorkerProcess | undefined {
    return this.leaders()[0];
  }

  /** Waits for a worker other than `exclude` to report leadership. */
  async waitForLeader(timeoutMs = 15_000, exclude?: WorkerProcess): Promise<WorkerProcess> {
    return waitFor(() => this.leaders().find((w) => w !== exclude), {
      timeoutMs,
      message: 'a leader',
    });
  }

  /** Completed executions per `task|slot`. */
  completions(from = 0, to = Infinity): Map<string, WorkerEvent[]> {
    const map = new Map<string, WorkerEvent[]>();
    for (const e of this.events) {
      if (e.type !== 'end' || e.slot! < from || e.slot! > to) continue;
      const key = `${e.task}|${e.slot}`;
      map.set(key, [...(map.get(key) ?? []), e]);
    }
    return map;
  }

  /**
   * Checks that each task ran exactly once per slot of [from, to]. Task names: `t` for one task, else
   * `t-1`..`t-n`. An execution counts when its handler ended on a worker that was not SIGKILLed within
   * `killGraceMs` after it: a run whose worker died right after its handler ended (before its outcome was
   * recorded) is legitimately re-executed elsewhere.
   */
  slotReport(
    from: number,
    to: number,
    tasks: number,
    killGraceMs = 250,
  ): { missing: string[]; duplicated: string[]; executed: number } {
    const killedAt = new Map<number, number>();
    for (const w of this.workers) if (w.killedAt !== undefined) killedAt.set(w.pid, w.killedAt);
    const completions = this.completions(from, to);
    const missing: string[] = [];
    const duplicated: string[] = [];
    let executed = 0;
    for (let slot = Math.ceil(from / 1000) * 1000; slot <= to; slot += 1000) {
      for (let i = 1; i <= tasks; i++) {
        const key = `${tasks === 1 ? 't' : `t-${i}`}|${slot}`;
        const ends = (completions.get(key) ?? []).filter((e) => {
          const killed = killedAt.get(e.pid);
          return killed === undefined || killed - e.t > killGraceMs;
        });
        const n = completions.get(key)?.length ?? 0;
        executed += n;
        if (n === 0) missing.push(key);
        if (ends.length > 1) duplicated.push(key);
      }
    }
    return { missing, duplicated, executed };
  }

  /** Events of one type. */
  ofType(type: WorkerEvent['type']): WorkerEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  /** Kills every worker still running. */
  async stop(): Promise<void> {
    for (const w of this.alive()) {
      w.signal('SIGCONT');
      w.signal('SIGKILL');
    }
    await Promise.all(this.workers.map((w) => w.exit().catch(() => undefined)));
  }
}

/** Latest modification time of any file under `dir`. */
/** Starts a worker with extra environment variables, e.g. `{ HTTP_PORT: '0' }` for the fixture's HTTP mode. */
export function startWithEnv(
  cluster: Cluster,
  env: Record<string, string>,
  overrides: Partial<WorkerSpec> = {},
): Promise<WorkerProcess> {
  return cluster.start({ ...overrides, env: { ...overrides.env, ...env } });
}

/** Base URL of the management API of a worker started in HTTP mode. */
export function apiBaseOf(worker: WorkerProcess): string {
  const ready = worker.cluster.events.find((e) => e.type === 'ready' && e.pid === worker.pid) as
    (WorkerEvent & { port?: number }) | undefined;
  if (ready?.port === undefined)
    throw new Error(`worker ${worker.pid} is not in HTTP mode (no port in its ready event)`);
  return `http://127.0.0.1:${ready.port}/task-manager`;
}

/** A once-a-minute cron expression (6 fields) whose next slot is `inMs` from now, and that slot. */
export function minuteCronIn(inMs: number): { cron: string; slot: number } {
  const slot = Math.ceil((Date.now() + inMs) / 1000) * 1000;
  return { cron: `${new Date(slot).getUTCSeconds()} * * * * *`, slot };
}
