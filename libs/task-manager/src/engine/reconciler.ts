import type { LoggerService } from '@nestjs/common';
import { LeadershipLostError } from '../errors/leadership-lost.error.js';
import type { SchedulePort, WorkerRegistryPort } from './coordination.port.js';
import type { ScheduleRegistrar } from './schedule-registrar.js';

/** Settings of the leader's maintenance passes, in milliseconds. */
export interface ReconcilerSettings {
  reconciliationMs: number;
  reclaimMs: number;
  leaseTtlMs: number;
  staleWorkerMs: number;
  reclaimBatch: number;
}

/**
 * The leader's maintenance: every `reclaimMs` re-publishes runs whose lease expired (their owner died);
 * every `reconciliationMs` recreates missing consumer groups, puts back any registered task missing from
 * the schedule (e.g. after FLUSHALL) and forgets workers not seen for a while. O(registered tasks) work
 * happens only in the latter, batched.
 */
export class Reconciler {
  private token: string | null = null;
  private reclaimTimer?: NodeJS.Timeout;
  private reconcileTimer?: NodeJS.Timeout;

  constructor(
    private readonly schedule: SchedulePort,
    private readonly workers: WorkerRegistryPort,
    private readonly registrar: ScheduleRegistrar,
    private readonly settings: ReconcilerSettings,
    private readonly onLeadershipLost: (reason: string) => void,
    private readonly onReclaimed: (taskIds: string[]) => void,
    private readonly logger: LoggerService,
  ) {}

  start(token: string): void {
    this.stop();
    this.token = token;
    this.reclaimTimer = setInterval(() => void this.reclaim(), this.settings.reclaimMs);
    this.reconcileTimer = setInterval(() => void this.reconcile(), this.settings.reconciliationMs);
    void this.reclaim();
  }

  stop(): void {
    this.token = null;
    clearInterval(this.reclaimTimer);
    clearInterval(this.reconcileTimer);
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
        this.onReclaimed(taskIds);
      }
    } catch (error) {
      this.handle(error);
    }
  }

  /** Rebuilds what may have been lost: consumer groups, schedule entries, the worker list. */
  async reconcile(): Promise<void> {
    if (!this.token) return;
    try {
      await this.schedule.ensureGroups();
      const restored = await this.registrar.registerAll();
      if (restored > 0)
        this.logger.warn(`Reconciliation restored ${restored} missing schedule entr${restored === 1 ? 'y' : 'ies'}`);
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
