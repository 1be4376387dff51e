/**
 * Runs real application processes (test/fixtures/cluster-worker.mjs) against one Redis and collects the
 * events they print, for multi-instance and fault tests (SIGKILL, SIGSTOP/SIGCONT, SIGTERM).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitFor } from './redis.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const workerScript = fileURLToPath(new URL('../fixtures/cluster-worker.mjs', import.meta.url));

/** An event printed by a worker process. */
export interface WorkerEvent {
  type: 'ready' | 'run' | 'end' | 'leader' | 'health' | 'unhandledRejection';
  pid: number;
  t: number;
  worker?: string;
  task?: string;
  slot?: number;
  attempt?: number;
  isLeader?: boolean;
  healthy?: boolean;
  aborted?: boolean;
  reason?: string;
}

/** Builds the library once if its dist is missing (the worker imports the built package). */
export function ensureLibraryBuilt(): void {
  if (existsSync(`${root}/libs/task-manager/dist/index.js`)) return;
  const result = spawnSync('npm', ['run', 'build:lib'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build:lib failed');
}

/** Settings of one worker process. */
export interface WorkerSpec {
  redisUrl: string;
  prefix: string;
  tasks?: number;
  longTaskCron?: string;
  longTaskMs?: number;
  options?: Record<string, unknown>;
}

/** One worker process. */
export class WorkerProcess {
  readonly child: ChildProcess;
  workerId?: string;
  exited = false;
  exitCode: number | null = null;
  stderr = '';

  constructor(
    readonly cluster: Cluster,
    readonly spec: WorkerSpec,
  ) {
    this.child = spawn(process.execPath, [workerScript], {
      cwd: root,
      env: {
        ...process.env,
        REDIS_URL: spec.redisUrl,
        PREFIX: spec.prefix,
        TASKS: String(spec.tasks ?? 0),
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
          const event = JSON.parse(line) as WorkerEvent;
          if (event.type === 'ready') this.workerId = event.worker;
          cluster.events.push(event);
        } catch {
          // Not an event line.
        }
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      if (this.stderr.length > 200_000) this.stderr = this.stderr.slice(-100_000);
    });
    this.child.on('exit', (code) => {
      this.exited = true;
      this.exitCode = code;
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  async ready(timeoutMs = 20_000): Promise<this> {
    await waitFor(() => this.workerId !== undefined || this.exited, { timeoutMs, message: 'worker ready' });
    if (!this.workerId) throw new Error(`worker exited before ready (code ${this.exitCode}):\n${this.stderr}`);
    return this;
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }

  async exit(timeoutMs = 15_000): Promise<number | null> {
    await waitFor(() => this.exited, { timeoutMs, message: `worker ${this.pid} exit` });
    return this.exitCode;
  }
}

/** A set of worker processes sharing one prefix, and everything they printed. */
export class Cluster {
  readonly events: WorkerEvent[] = [];
  readonly workers: WorkerProcess[] = [];

  constructor(readonly base: Omit<WorkerSpec, 'redisUrl'> & { redisUrl: string }) {
    ensureLibraryBuilt();
  }

  /** Starts a worker and waits until it is ready. */
  async start(overrides: Partial<WorkerSpec> = {}): Promise<WorkerProcess> {
    const worker = new WorkerProcess(this, { ...this.base, ...overrides });
    this.workers.push(worker);
    return worker.ready();
  }

  alive(): WorkerProcess[] {
    return this.workers.filter((w) => !w.exited);
  }

  /** The live worker currently reporting leadership, if any. */
  leader(): WorkerProcess | undefined {
    const state = new Map<string, boolean>();
    for (const e of this.events) if (e.type === 'leader') state.set(e.worker!, e.isLeader!);
    return this.alive().find((w) => w.workerId && state.get(w.workerId));
  }

  async waitForLeader(timeoutMs = 15_000, exclude?: WorkerProcess): Promise<WorkerProcess> {
    return waitFor(() => {
      const leader = this.leader();
      return leader && leader !== exclude ? leader : undefined;
    }, { timeoutMs, message: 'a leader' });
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

  /** Kills every worker still running. */
  async stop(): Promise<void> {
    for (const w of this.alive()) {
      w.signal('SIGCONT');
      w.signal('SIGKILL');
    }
    await Promise.all(this.workers.map((w) => w.exit().catch(() => undefined)));
  }
}
