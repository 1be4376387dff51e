import type { LoggerService } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { HeartbeatLoad, HeartbeatReport, HeartbeatTransport } from '../engine/heartbeat.js';
import { withTimeout } from '../engine/with-timeout.js';
import type { RedisConnectionTarget } from './redis-target.js';

/** The thread's script (compiled next to this file; absent when the library runs from its TypeScript sources). */
const THREAD_SCRIPT = new URL('./heartbeat-thread.worker.js', import.meta.url);

/** How long a stopping thread may take to close its connection before it is terminated. */
const STOP_TIMEOUT_MS = 2000;

/** Delay before a heartbeat thread that died unexpectedly is started again. */
const RESTART_DELAY_MS = 1000;

/** What the heartbeat thread is started with (structured-cloned into it). */
export interface HeartbeatThreadData {
  /** Where to connect (the instance's Redis options, functions excluded). */
  target: RedisConnectionTarget;
  keyPrefix: string;
  /** The deployment's partition count (the thread renews each partition's runs in their partition). */
  partitions: number;
  group: string;
  intervalMs: number;
  leaseTtlMs: number;
  /** The leader's idle beat is skipped (its lease renewals record its heartbeat). */
  leaderCovers: boolean;
  /** One BigInt64 slot: local time (ms) at which the last successful beat was sent. */
  lastSuccess: SharedArrayBuffer;
}

/** Messages from the thread. */
export type HeartbeatThreadMessage = { type: 'report'; report: HeartbeatReport } | { type: 'error'; message: string };

/**
 * Messages to the thread: the whole load when it starts, then only what changed (a run held, its start, its
 * release), so that a change costs the thread one run, not a copy of every run held.
 */
export type HeartbeatThreadCommand =
  | { type: 'load'; load: HeartbeatLoad }
  | { type: 'change'; description: HeartbeatLoad['description']; put: HeartbeatLoad['runs']; removed: string[] }
  | { type: 'stop' };

type HeldRunEntry = HeartbeatLoad['runs'][number];

/** What of a held run the thread must learn again when it changes (a run delivered, then started): 0–3. */
const versionOf = (run: HeldRunEntry) => (run.started ? 1 : 0) + (run.dynamic ? 2 : 0);

/**
 * The worker's heartbeat on a worker thread with its own Redis connection: a handler that blocks the event
 * loop (CPU-bound work) does not stop the renewal of its run's lease, so its healthy process is not taken
 * for dead. The main thread posts what to renew whenever it changes and receives each beat's result; the
 * time of the last successful beat is shared memory, current even right after the main thread was blocked.
 * The leader lease is not renewed here: a blocked leader cannot publish, so it lets another instance lead.
 */
export class HeartbeatThread implements HeartbeatTransport {
  readonly offThread = true;
  private readonly lastSuccess = new BigInt64Array(new SharedArrayBuffer(8));
  private worker?: Worker;
  private load?: HeartbeatLoad;
  /** The runs the thread holds, as last posted: key → {@link versionOf} + 4 × the update that last saw it held. */
  private posted = new Map<string, number>();
  private updates = 0;
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;
  private onReport: (report: HeartbeatReport) => void = () => undefined;

  private constructor(
    private readonly data: Omit<HeartbeatThreadData, 'lastSuccess'>,
    private readonly logger: LoggerService,
  ) {}

  /**
   * A heartbeat thread, or undefined (the engine then beats on the main thread) when the library runs from
   * its sources or the Redis options cannot be sent to a thread (they hold functions, e.g. a custom
   * `retryStrategy` or `natMap`): then says why, once.
   */
  static create(data: Omit<HeartbeatThreadData, 'lastSuccess'>, logger: LoggerService): HeartbeatThread | undefined {
    if (!existsSync(fileURLToPath(THREAD_SCRIPT))) return undefined;
    try {
      structuredClone(data);
    } catch (error) {
      logger.warn(
        `Run leases are renewed on the main thread (a handler that blocks the event loop longer than the lease ` +
          `may be run twice): the Redis options cannot be passed to a worker thread (${(error as Error).message})`,
      );
      return undefined;
    }
    return new HeartbeatThread(data, logger);
  }

  start(onReport: (report: HeartbeatReport) => void): void {
    this.onReport = onReport;
    this.stopping = false;
    this.spawn();
  }

  update(load: HeartbeatLoad): void {
    this.load = load;
    if (!this.worker) return;
    // (Called at every start and end of a run: one pass over the runs held, nothing allocated per run.)
    const seen = ++this.updates * 4;
    const put: HeldRunEntry[] = [];
    for (const run of load.runs) {
      const version = versionOf(run);
      const before = this.posted.get(run.key);
      if (before === undefined || before % 4 !== version) put.push(run);
      this.posted.set(run.key, seen + version);
    }
    const removed: string[] = [];
    for (const [key, entry] of this.posted) {
      if (entry < seen) {
        removed.push(key);
        this.posted.delete(key);
      }
    }
    this.post({ type: 'change', description: load.description, put, removed });
  }

  lastSuccessAt(): number {
    return Number(Atomics.load(this.lastSuccess, 0));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'stop' } satisfies HeartbeatThreadCommand);
    if (
      !(await withTimeout(
        exited.then(() => true),
        STOP_TIMEOUT_MS,
      ))
    )
      await worker.terminate();
  }

  private spawn(): void {
    const workerData: HeartbeatThreadData = { ...this.data, lastSuccess: this.lastSuccess.buffer as SharedArrayBuffer };
    const worker = new Worker(THREAD_SCRIPT, { workerData });
    worker.unref();
    this.worker = worker;
    worker.on('message', (message: HeartbeatThreadMessage) => {
      if (message.type === 'report') this.onReport(message.report);
      else this.logger.warn(`Heartbeat thread: ${message.message}`);
    });
    worker.on('error', (error) => this.logger.error(`Heartbeat thread failed: ${error.message}`));
    worker.on('exit', () => {
      if (this.stopping || this.worker !== worker) return;
      this.logger.error(`Heartbeat thread stopped unexpectedly; starting it again in ${RESTART_DELAY_MS} ms`);
      this.worker = undefined;
      this.restartTimer = setTimeout(() => this.spawn(), RESTART_DELAY_MS);
    });
    this.posted = new Map(this.load?.runs.map((run) => [run.key, this.updates * 4 + versionOf(run)]));
    if (this.load) this.post({ type: 'load', load: this.load });
  }

  private post(command: HeartbeatThreadCommand): void {
    this.worker?.postMessage(command);
  }
}
