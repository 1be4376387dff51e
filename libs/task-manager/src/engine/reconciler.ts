import type { LoggerService } from '@nestjs/common';
import { LeadershipLostError } from '../errors/leadership-lost.error.js';
import { ClusterClock } from './cluster-clock.js';
import type { ReclaimCursor, RunMessage, SchedulePort, WorkerRegistryPort } from './coordination.port.js';
import type { ScheduleRegistrar } from './schedule-registrar.js';
import { realTimers, type EngineTimers, type TimerHandle } from './timers.js';

const START: ReclaimCursor = { high: '0-0', normal: '0-0' };

/** Settings of the leader's maintenance passes, in milliseconds. */
export interface ReconcilerSettings {
  reconciliationMs: number;
  /** Time between two sweeps for runs nobody renews (the net under the recovery on events). */
  sweepMs: number;
  /** A worker not seen for this long may have died: its runs are reclaimed once their lease can have expired. */
  workerSilentMs: number;
  leaseTtlMs: number;
  staleWorkerMs: number;
  reclaimBatch: number;
  /** Deliveries after which a run is given up (recorded as failed) instead of re-published. */
  maxDeliveries: number;
  /** Most reclaim calls of one pass (each looks at up to ~10 x `reclaimBatch` pending runs per priority). */
  maxReclaimCalls: number;
  /** A reclaim timed for when leases expire runs this much later (local timers and Redis TTLs differ). */
  reclaimMarginMs: number;
}

/** What the reconciler works with. */
export interface ReconcilerDeps {
  schedule: SchedulePort;
  /** The worker registry, pruned of stale workers at each pass; absent: another loop prunes it. */
  workers?: WorkerRegistryPort;
  registrar: ScheduleRegistrar;
  /** A call was fenced off: the term of `token` is over (the elector ignores an earlier term's). */
  onLeadershipLost: (reason: string, token: string) => void;
  /** Runs were re-published (`taskIds`) or schedule entries restored: the scheduler should look again. */
  onScheduleChanged: (reclaimedTaskIds: string[]) => void;
  /** Runs given up after `maxDeliveries` deliveries, still pending: to be recorded as failed. */
  onExhausted: (runs: RunMessage[]) => Promise<void>;
  logger: LoggerService;
  /** Worker heartbeats are server times: silence is measured on the cluster clock. */
  clock?: ClusterClock;
  timers?: EngineTimers;
}

/**
 * The leader's maintenance. Recovery: when the leader's lease renewal reports a silent worker, runs whose
 * lease expired (their owner died) are re-published right when that worker's leases can have expired. A
 * sweep every 1.5 lease TTLs (one pipelined read of the pending summaries when nothing is pending) catches every other orphan, whether or not a death was noticed (a graceful stop, a
 * reply lost with its connection, a run a worker forgot): live workers renew every run they hold, so it
 * only takes runs nobody renews. It follows the pending-entries cursor across passes, so every pending run
 * is looked at however many there are. Every `reconciliationMs`: recreates missing consumer groups, puts
 * back registered tasks missing from the schedule (e.g. after FLUSHALL; an O(1) count first, the O(tasks)
 * pass only when something is missing) and forgets workers not seen for a while.
 */
export class Reconciler {
  private token: string | null = null;
  private reclaimTimer?: TimerHandle;
  private reclaimAt = Infinity;
  private reconcileTimer?: TimerHandle;
  private sweepTimer?: TimerHandle;
  /** Where the sweep continues. */
  private cursor: ReclaimCursor = START;
  private reclaiming = false;
  private reclaimAgain = false;
  private readonly schedule: SchedulePort;
  private readonly workers?: WorkerRegistryPort;
  private readonly registrar: ScheduleRegistrar;
  private readonly onLeadershipLost: (reason: string, token: string) => void;
  private readonly onScheduleChanged: (reclaimedTaskIds: string[]) => void;
  private readonly onExhausted: (runs: RunMessage[]) => Promise<void>;
  private readonly logger: LoggerService;
  private readonly clock: ClusterClock;
  private readonly timers: EngineTimers;

  constructor(
    deps: ReconcilerDeps,
    private readonly settings: ReconcilerSettings,
  ) {
    this.schedule = deps.schedule;
    this.workers = deps.workers;
    this.registrar = deps.registrar;
    this.onLeadershipLost = deps.onLeadershipLost;
    this.onScheduleChanged = deps.onScheduleChanged;
    this.onExhausted = deps.onExhausted;
    this.logger = deps.logger;
    this.timers = deps.timers ?? realTimers;
    this.clock = deps.clock ?? new ClusterClock(this.timers);
  }

  start(token: string): void {
    this.stop();
    this.token = token;
    this.reconcileTimer = this.timers.setInterval(() => void this.reconcile(), this.settings.reconciliationMs);
    this.sweepTimer = this.timers.setInterval(() => void this.reclaim(), this.settings.sweepMs);
    // A new leader first recovers what its predecessor may have left behind, now and once more when every
    // lease taken before it was elected has certainly expired.
    void this.reclaim(true);
    this.scheduleReclaim(this.clock.now() + this.settings.leaseTtlMs + this.settings.reclaimMarginMs);
  }

  stop(): void {
    this.token = null;
    this.timers.clearTimeout(this.reclaimTimer);
    this.reclaimAt = Infinity;
    this.timers.clearInterval(this.reconcileTimer);
    this.timers.clearInterval(this.sweepTimer);
    this.cursor = START;
  }

  /** Told by each lease renewal: the oldest worker heartbeat. A silent worker triggers a timed recovery. */
  noteOldestWorker(lastSeen: number | null): void {
    if (lastSeen === null || !this.token) return;
    if (this.clock.now() - lastSeen <= this.settings.workerSilentMs) return;
    // Its messages were last touched at its last heartbeat: their leases expire at lastSeen + TTL.
    this.scheduleReclaim(lastSeen + this.settings.leaseTtlMs + this.settings.reclaimMarginMs);
  }

  /** Reclaims at cluster time `at`. */
  private scheduleReclaim(at: number): void {
    if (at >= this.reclaimAt) return;
    this.timers.clearTimeout(this.reclaimTimer);
    this.reclaimAt = at;
    this.reclaimTimer = this.timers.setTimeout(
      () => {
        this.reclaimAt = Infinity;
        void this.reclaim(true);
      },
      Math.max(0, this.clock.until(at)),
    );
  }

  /**
   * Re-publishes runs nobody renews (their worker died or forgot them): from the sweep's cursor on, or with
   * `fromStart` (a worker went silent) every pending run.
   */
  async reclaim(fromStart = false): Promise<void> {
    const token = this.token;
    if (!token) return;
    if (this.reclaiming) {
      // (A pass is running: look again, from the start, once it is over.)
      this.reclaimAgain ||= fromStart;
      return;
    }
    this.reclaiming = true;
    if (fromStart) this.cursor = START;
    try {
      const taskIds: string[] = [];
      for (let call = 0; call < this.settings.maxReclaimCalls; call++) {
        const result = await this.schedule.reclaimExpired(token, {
          leaseTtlMs: this.settings.leaseTtlMs,
          limit: this.settings.reclaimBatch,
          cursor: this.cursor,
          maxDeliveries: this.settings.maxDeliveries,
        });
        taskIds.push(...result.taskIds);
        if (result.exhausted.length > 0) await this.onExhausted(result.exhausted);
        this.cursor = result.cursor;
        if (result.cursor.high === '0-0' && result.cursor.normal === '0-0') break;
      }
      if (taskIds.length > 0) {
        this.logger.warn(
          `Recovered ${taskIds.length} run(s) whose worker stopped renewing its lease: ${taskIds.slice(0, 5).join(', ')}`,
        );
        this.onScheduleChanged(taskIds);
      }
    } catch (error) {
      this.handle(error, token);
    } finally {
      this.reclaiming = false;
      if (this.reclaimAgain) {
        this.reclaimAgain = false;
        void this.reclaim(true);
      }
    }
  }

  /** Rebuilds what may have been lost: consumer groups, schedule entries, the worker list. */
  async reconcile(): Promise<void> {
    const token = this.token;
    if (!token) return;
    try {
      // O(1) check first: the full pass (O(registered tasks)) only runs when entries are missing, which means
      // the data was lost (FLUSHALL, a Redis restart without persistence): consumer groups too, then.
      const missing = await this.registrar.anyMissing();
      if (missing) await this.schedule.ensureGroups();
      const restored = missing ? await this.registrar.registerAll() : 0;
      if (restored > 0) {
        this.logger.warn(`Reconciliation restored ${restored} missing schedule entr${restored === 1 ? 'y' : 'ies'}`);
        this.onScheduleChanged([]);
      }
      await this.workers?.prune(this.settings.staleWorkerMs, this.clock.now());
    } catch (error) {
      this.handle(error, token);
    }
  }

  private handle(error: unknown, token: string): void {
    if (error instanceof LeadershipLostError) {
      this.onLeadershipLost(error.message, token);
    }
    // Other errors: Redis trouble, reported by the connection layer; the next pass tries again.
  }
}
