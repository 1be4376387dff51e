import type { LoggerService } from '@nestjs/common';
import type { ClusterClock } from './cluster-clock.js';
import type { NoticePort, WorkerRegistryPort, WorkerSeen } from './coordination.port.js';
import { liveInstances, type LeaseBalancer } from './lease-balancer.js';
import type { PartitionLeader } from './partition-leader.js';
import type { EngineTimers, TimerHandle } from './timers.js';

/** The watch's timing (ms). */
export interface WorkerWatchSettings {
  /** Every how long the workers' last-seen times are read. */
  intervalMs: number;
  /** A worker unseen this long is silent: not counted alive, and its runs are recovered. */
  workerSilentMs: number;
}

/** What the watch works with. */
export interface WorkerWatchDeps {
  workers: Pick<WorkerRegistryPort, 'lastSeen'>;
  notices: Pick<NoticePort, 'publish'>;
  /** This instance's share of the partition leases. */
  balancer: LeaseBalancer;
  /** The leader's loops of each partition, by index. */
  leaders: () => readonly PartitionLeader[];
  workerId: string;
  clock: ClusterClock;
  timers: EngineTimers;
  logger: LoggerService;
}

/**
 * With several partitions, what one lease renewal does with one: every few heartbeats, reads every worker's
 * last-seen time (one read for all partitions; a partition's renewal cannot, the registry lies in another
 * slot) and
 * - tells each partition led here of the oldest one (its reconciler recovers a silent worker's runs);
 * - feeds the lease balancer the live-instance count, asks the yielding electors to look at their gate again
 *   (a lower target may have opened it), and hands over the lease the balancer names: released in Redis,
 *   and said (`lease-handed-over`), so that an instance below its share takes it at once.
 * An instance that stops says so (`leader-released`, see {@link leaving}): it is not counted from then on.
 */
export class WorkerWatch {
  private timer?: TimerHandle;
  private busy = false;
  /** A look asked for while one was pending: done when it ends. */
  private again = false;
  private stopped = true;
  /** Workers that said they leave (they released their leases and drain their runs): not counted alive. */
  private readonly leavers = new Set<string>();

  constructor(
    private readonly deps: WorkerWatchDeps,
    private readonly settings: WorkerWatchSettings,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = this.deps.timers.setInterval(() => void this.check(), this.settings.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    this.deps.timers.clearInterval(this.timer);
  }

  /**
   * `workerId` stops (it said so as it released its leases): not counted alive from now on, although it beats
   * while it drains its runs. Looks again at once, so that this instance's share is known before the yield
   * delays of the released leases end.
   */
  leaving(workerId: string): void {
    if (this.stopped) return;
    this.leavers.add(workerId);
    void this.check();
  }

  /** One look (one more after the pending one, if one is pending). */
  async check(): Promise<void> {
    if (this.stopped) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.again = false;
        await this.look();
      } while (this.again && !this.stopped);
    } finally {
      this.busy = false;
    }
  }

  /** The last-seen times of the workers that stay (a leaver no longer listed is forgotten). */
  private staying(workers: readonly WorkerSeen[]): number[] {
    const times: number[] = [];
    const listed = new Set<string>();
    for (const { id, lastSeen } of workers) {
      listed.add(id);
      if (!this.leavers.has(id)) times.push(lastSeen);
    }
    for (const id of this.leavers) if (!listed.has(id)) this.leavers.delete(id);
    return times;
  }

  private async look(): Promise<void> {
    const { workers, balancer, clock, logger } = this.deps;
    let seen: WorkerSeen[];
    try {
      seen = await workers.lastSeen();
    } catch {
      // Redis unreachable: reported by the connection layer; the next look reads again.
      return;
    }
    if (this.stopped) return;
    const leaders = this.deps.leaders();
    // (A leaver's runs are recovered too if it goes silent.)
    const oldest = seen.length > 0 ? seen[0].lastSeen : null;
    for (const leader of leaders) if (leader.isLeader) leader.reconciler.noteOldestWorker(oldest);
    const now = clock.now();
    balancer.observeLive(liveInstances(this.staying(seen), now, this.settings.workerSilentMs));
    for (const leader of leaders) leader.elector.reconsider();
    const partition = balancer.toHandOver(now);
    if (partition === undefined) return;
    const reason =
      `handing partition ${partition} over: it leads ${balancer.heldPartitions.length} partition leases, ` +
      `its share is ${balancer.target}`;
    if (!(await leaders[partition].elector.handOver(reason))) return;
    try {
      await this.deps.notices.publish({ type: 'lease-handed-over', origin: this.deps.workerId });
    } catch (error) {
      // The others find the lease free at their next try.
      logger.warn(`Could not say that partition ${partition}'s lease was handed over: ${(error as Error).message}`);
    }
  }
}
