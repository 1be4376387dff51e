import type { LoggerService } from '@nestjs/common';
import { LeadershipLostError } from '../errors/leadership-lost.error.js';
import type { SchedulePort, WorkerRegistryPort } from './coordination.port.js';
import type { ScheduleRegistrar } from './schedule-registrar.js';

/** Settings of the leader's maintenance passes, in milliseconds. */
export interface ReconcilerSettings {
  reconciliationMs: number;
  /** A worker not seen for this long may have died: its runs are reclaimed once their lease can have expired. */
  workerSilentMs: number;
  leaseTtlMs: number;
  staleWorkerMs: number;
  reclaimBatch: number;
}

/**
 * The leader's maintenance. Recovery: when the leader's lease renewal reports a silent worker, runs whose
 * lease expired (their owner died) are re-published right when that worker's leases can have expired — no
 * polling while every worker is alive. Every `reconciliationMs`: recreates missing consumer groups, puts
 * back registered tasks missing from the schedule (e.g. after FLUSHALL; an O(1) count first, the O(tasks)
 * pass only when something is missing) and forgets workers not seen for a while.
 */
export class Reconciler {
  private token: string | null = null;
  private reclaimTimer?: NodeJS.Timeout;
  private reclaimAt = Infinity;
  private reconcileTimer?: NodeJS.Timeout;

  constructor(
    private readonly schedule: SchedulePort,
    private readonly workers: WorkerRegistryPort,
    private readonly registrar: ScheduleRegistrar,
    private readonly settings: ReconcilerSettings,
    private readonly onLeadershipLost: (reason: string) => void,
    /** Runs were re-published (`taskIds`) or schedule entries restored: the scheduler should look again. */
    private readonly onScheduleChanged: (reclaimedTaskIds: string[]) => void,
    private readonly logger: LoggerService,
  ) {}

  start(token: string): void {
    this.stop();
    this.token = token;
    this.reconcileTimer = setInterval(() => void this.reconcile(), this.settings.reconciliationMs);
    // A new leader first recovers what its predecessor may have left behind, now and once more when every
    // lease taken before it was elected has certainly expired.
    void this.reclaim();
    this.scheduleReclaim(Date.now() + this.settings.leaseTtlMs + 50);
  }

  stop(): void {
    this.token = null;
    clearTimeout(this.reclaimTimer);
    this.reclaimAt = Infinity;
    clearInterval(this.reconcileTimer);
  }

  /** Told by each lease renewal: the oldest worker heartbeat. A silent worker triggers a timed recovery. */
  noteOldestWorker(lastSeen: number | null): void {
    if (lastSeen === null || !this.token) return;
    if (Date.now() - lastSeen <= this.settings.workerSilentMs) return;
    // Its messages were last touched at its last heartbeat: their leases expire at lastSeen + TTL.
    this.scheduleReclaim(lastSeen + this.settings.leaseTtlMs + 50);
  }

  private scheduleReclaim(at: number): void {
    if (at >= this.reclaimAt) return;
    clearTimeout(this.reclaimTimer);
    this.reclaimAt = at;
    this.reclaimTimer = setTimeout(
      () => {
        this.reclaimAt = Infinity;
        void this.reclaim();
      },
      Math.max(0, at - Date.now()),
    );
  }

  /** Re-publishes runs of dead workers. */
  async reclaim(): Promise<void> {
    const token = this.token;
    if (!token) return;
    try {
      const taskIds = await this.schedule.reclaimExpired(token, this.settings.leaseTtlMs, this.settings.reclaimBatch);
      if (taskIds.length > 0) {
        this.logger.warn(
          `Recovered ${taskIds.length} run(s) whose worker stopped renewing its lease: ${taskIds.slice(0, 5).join(', ')}`,
        );
        this.onScheduleChanged(taskIds);
      }
    } catch (error) {
      this.handle(error);
    }
  }

  /** Rebuilds what may have been lost: consumer groups, schedule entries, the worker list. */
  async reconcile(): Promise<void> {
    if (!this.token) return;
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
      await this.workers.prune(this.settings.staleWorkerMs, Date.now());
    } catch (error) {
      this.handle(error);
    }
  }

  private handle(error: unknown): void {
    if (error instanceof LeadershipLostError) {
      this.onLeadershipLost(error.message);
    }
    // Other errors: Redis trouble, reported by the connection layer; the next pass tries again.
  }
}
