import type { LoggerService } from '@nestjs/common';
import { ClusterClock } from './cluster-clock.js';
import type { WorkerDescription } from './coordination.port.js';
import { extendRenewedLeases, type HeartbeatReport, type HeartbeatTransport } from './heartbeat.js';
import { heldKey, type HeldRun } from './held-run.js';
import { RunAbortedError } from './run-executor.js';
import { realTimers, type EngineTimers, type TimerHandle } from './timers.js';

/** Timing of the lease keeper (ms). */
export interface LeaseKeeperSettings {
  /** Heartbeat interval. */
  intervalMs: number;
  leaseTtlMs: number;
  /** How long a run's lease may go unrenewed here before it is given up (engineSettings: TTL - heartbeat). */
  leaseGiveUpMs: number;
  /** How often the local watchdog looks for runs whose lease could not be renewed in time. */
  watchdogMs: number;
  /**
   * Whether the leader's lease renewals may stand for its idle heartbeat (they record it at least as often),
   * when the driver's renewal records it (LeadershipPort.renewalRecordsLeader).
   */
  leaderCoversIdleBeat: boolean;
}

/** What the lease keeper works with. */
export interface LeaseKeeperDeps {
  /** Where the heartbeat runs (a worker thread, or the main thread). */
  transport: HeartbeatTransport;
  /** What this worker says of itself in the worker registry. */
  describe: () => WorkerDescription;
  /** The runs held right now. */
  held: () => HeldRun[];
  logger: LoggerService;
  /** Fed with the server time of every heartbeat reply. */
  clock?: ClusterClock;
  timers?: EngineTimers;
}

/**
 * Keeps the leases of the runs this worker holds. The heartbeat itself (renew every `intervalMs`) runs on a
 * transport: a worker thread when the driver offers one, so that a handler blocking the event loop does not
 * stop it, else the main thread. The keeper tells it what to renew whenever that changes, and applies what
 * each beat found: a run reported lost was re-published elsewhere because its lease expired (e.g. this
 * process was frozen): its signal is aborted; a run whose data was wiped stays this worker's.
 *
 * A local watchdog gives a run up once no renewal covering it succeeded for TTL - heartbeat (Redis
 * unreachable, or a link that hangs without an error): another instance may re-run it once its lease
 * expires, so this one stops first.
 */
export class LeaseKeeper {
  private refreshTimer?: TimerHandle;
  /** A refresh due on the next timer turn ({@link refreshSoon}). */
  private soon?: TimerHandle;
  private watchdog?: TimerHandle;
  private readonly transport: HeartbeatTransport;
  private readonly describe: () => WorkerDescription;
  private readonly held: () => HeldRun[];
  private readonly logger: LoggerService;
  private readonly clock: ClusterClock;
  private readonly timers: EngineTimers;

  constructor(
    deps: LeaseKeeperDeps,
    private readonly settings: LeaseKeeperSettings,
  ) {
    this.transport = deps.transport;
    this.describe = deps.describe;
    this.held = deps.held;
    this.logger = deps.logger;
    this.timers = deps.timers ?? realTimers;
    this.clock = deps.clock ?? new ClusterClock(this.timers);
  }

  /** Whether leases are renewed off the main thread. */
  get offThread(): boolean {
    return this.transport.offThread;
  }

  start(): void {
    this.stopTimers();
    this.refresh();
    this.transport.start((report) => this.apply(report));
    // The description (leadership, running count) also changes without the held runs changing.
    this.refreshTimer = this.timers.setInterval(() => this.refresh(), this.settings.intervalMs);
    this.watchdog = this.timers.setInterval(() => this.expireUnrenewed(), this.settings.watchdogMs);
  }

  async stop(): Promise<void> {
    this.stopTimers();
    await this.transport.stop();
  }

  private stopTimers(): void {
    this.timers.clearTimeout(this.soon);
    this.soon = undefined;
    this.timers.clearInterval(this.refreshTimer);
    this.timers.clearInterval(this.watchdog);
    this.refreshTimer = undefined;
    this.watchdog = undefined;
  }

  /**
   * The held runs or the description changed: the next beats renew the new set. Called at once when a run
   * starts, before its handler runs (a handler that blocks the event loop must find its run renewed).
   */
  refresh(): void {
    this.timers.clearTimeout(this.soon);
    this.soon = undefined;
    // A run whose outcome is being recorded is still renewed (the recording may retry through an outage),
    // but its acknowledgement racing a heartbeat is not a loss.
    const runs = this.held()
      .filter((h) => !h.lost)
      .map((h) => ({ key: heldKey(h.run), run: h.run, started: h.started, dynamic: h.task?.dynamic }));
    this.transport.update({ description: this.describe(), runs });
  }

  /**
   * Runs left: refreshed on the next timer turn, once for every run that left meanwhile. At thousands of runs
   * per second a refresh per finished run (a pass over every run held, and a message to the heartbeat thread)
   * was a quarter of the engine's CPU per run; a run released is renewed at most once more, which is harmless
   * (a heartbeat already in flight can do the same).
   */
  refreshSoon(): void {
    if (this.soon !== undefined || this.refreshTimer === undefined) return;
    this.soon = this.timers.setTimeout(() => this.refresh(), 0);
  }

  private apply(report: HeartbeatReport): void {
    this.clock.observe(report.serverTime, report.sentAt, report.receivedAt);
    const byKey = new Map(this.held().map((h) => [heldKey(h.run), h]));
    extendRenewedLeases(report, this.settings.leaseTtlMs, (key) => byKey.get(key)?.run);
    if (report.lost.length === 0 && report.vanished.length === 0) return;
    for (const key of report.lost) {
      const held = byKey.get(key);
      if (!held || held.completing || held.lost) continue;
      held.lost = true;
      this.logger.warn(
        `Lease of run ${held.run.taskId}@${held.run.slot} was lost (taken over after it expired); aborting it here`,
      );
      held.controller.abort(new RunAbortedError('lease-lost', 'the run lease expired and the run was taken over'));
    }
    for (const key of report.vanished) {
      const held = byKey.get(key);
      if (!held || held.vanished) continue;
      held.vanished = true;
      this.logger.warn(
        `The data of run ${held.run.taskId}@${held.run.slot} was wiped (FLUSHALL, or Redis restarted empty); ` +
          'nobody else has it: it keeps running here and its outcome will be recorded',
      );
    }
    this.refresh();
  }

  /** Gives up the runs whose lease could not be renewed for TTL - heartbeat. */
  private expireUnrenewed(): void {
    const now = this.timers.now();
    const lastRenewed = this.transport.lastSuccessAt();
    for (const held of this.held()) {
      if (held.lost || held.completing) continue;
      const since = now - Math.max(held.heldSince, lastRenewed);
      if (since <= this.settings.leaseGiveUpMs) continue;
      held.lost = true;
      held.expired = true;
      this.logger.warn(
        `Lease of run ${held.run.taskId}@${held.run.slot} could not be renewed for ${since} ms (Redis unreachable or ` +
          `the connection hung); ${held.started ? 'aborting it here' : 'not starting it'}: it may be re-run elsewhere`,
      );
      held.controller.abort(
        new RunAbortedError('lease-lost', `the run lease could not be renewed for ${since} ms and may have expired`),
      );
    }
  }
}
