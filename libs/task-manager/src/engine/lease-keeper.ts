import type { LoggerService } from '@nestjs/common';
import type { RunQueuePort, WorkerDescription, WorkerRegistryPort } from './coordination.port.js';
import type { HeldRun } from './held-run.js';
import { RunAbortedError } from './run-executor.js';

/**
 * The worker's heartbeat, every `intervalMs`: renews the lease of every run it holds and refreshes its
 * entry in the worker registry (one Lua call). An idle worker whose description did not change only
 * refreshes its last-seen time (one ZADD). A run reported lost was re-published elsewhere because its lease
 * expired (e.g. this process was frozen): its signal is aborted.
 */
export class LeaseKeeper {
  private timer?: NodeJS.Timeout;
  private beating = false;
  private lastDescription?: string;

  constructor(
    private readonly port: RunQueuePort,
    private readonly workers: Pick<WorkerRegistryPort, 'touch'>,
    private readonly describe: () => WorkerDescription,
    private readonly intervalMs: number,
    private readonly leaseTtlMs: number,
    private readonly held: () => HeldRun[],
    private readonly logger: LoggerService,
  ) {}

  start(): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    void this.beat();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One heartbeat (also called directly by tests). */
  async beat(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      const runs = this.held().filter((h) => !h.lost);
      const description = this.describe();
      const text = JSON.stringify(description);
      if (runs.length === 0 && text === this.lastDescription) {
        await this.workers.touch(description.id, Date.now());
        return;
      }
      const lost = await this.port.renew(
        description,
        runs.map((h) => ({ run: h.run, started: h.started })),
        this.leaseTtlMs,
      );
      for (const index of lost) {
        const held = runs[index];
        held.lost = true;
        this.logger.warn(
          `Lease of run ${held.run.taskId}@${held.run.slot} was lost (taken over after it expired); aborting it here`,
        );
        held.controller.abort(new RunAbortedError('lease-lost', 'the run lease expired and the run was taken over'));
      }
      this.lastDescription = text;
    } catch {
      // Redis unreachable: reported by the connection layer; leases are renewed on the next beat.
    } finally {
      this.beating = false;
    }
  }
}
