import type { LoggerService } from '@nestjs/common';
import type { ClusterClock } from './cluster-clock.js';
import type { NoticePort, WorkerRegistryPort, WorkerSeen } from './coordination.port.js';
import { liveInstances, type LeaseBalancer } from './lease-balancer.js';
import type { PartitionLeader } from './partition-leader.js';
import type { EngineTimers, TimerHandle } from './timers.js';

/** The watch's timing (ms). */
export interface WorkerWatchSettings {
  /** Every how long the workers' last-seen times are read (and a lease may be handed over). */
  intervalMs: number;
  /** A read asked for between two periodic ones is skipped when the last one began less than this long ago. */
  refreshGapMs: number;
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
 * With several partitions, what one lease renewal does with one: reads every worker's last-seen time (one read
 * for all partitions; a partition's renewal cannot, the registry lies in another slot) and
 * - tells each partition led here of the oldest one (its reconciler recovers a silent worker's runs);
 * - feeds the lease balancer the live-instance count (this one, and the others seen lately that did not say
 *   they leave), and asks the yielding electors to look at their gate again (a lower target may have opened
 *   it);
 * - at a periodic read only (two of them make the balancer's two reads in a row), hands over the lease the
 *   balancer names: released in Redis, and said (`lease-handed-over`, with the partition), so that an
 *   instance below its share takes it at once.
 * The first read is made before the electors start (`start`), so that a new instance does not try for every
 * lease at once. Reads between the periodic ones: an instance said it stops (`leaving`), or an elector found
 * a lease free whose holder may be dead (`refresh`).
 */
export class WorkerWatch {
  private timer?: TimerHandle;
  /** The reads in progress (undefined: none). */
  private reading?: Promise<void>;
  /** A read asked for while one was pending: done when it ends. */
  private again = false;
  private stopped = true;
  /** When the last read began (local time). */
  private lastReadAt = -Infinity;
  /** Workers that said they leave (they released their leases and drain their runs): not counted alive. */
  private readonly leavers = new Set<string>();

  constructor(
    private readonly deps: WorkerWatchDeps,
    private readonly settings: WorkerWatchSettings,
  ) {}

  /** Reads once (the live count before the electors start), then every interval. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.check();
    if (this.stopped) return;
    this.timer = this.deps.timers.setInterval(() => void this.check(true), this.settings.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    this.deps.timers.clearInterval(this.timer);
  }

  /**
   * `workerId` stops (it said so as it released its leases): not counted alive from now on, although it beats
   * while it drains its runs. Reads again at once, so that this instance's share is known before the yield
   * delays of the released leases end.
   */
  leaving(workerId: string): void {
    if (this.stopped) return;
    this.leavers.add(workerId);
    void this.check();
  }

  /**
   * A lease this instance waits on is free or due to expire: its holder may be dead, which the last read may
   * not show yet. Reads again unless the last read is recent enough to show it (`refreshGapMs`).
   */
  refresh(): void {
    if (this.stopped || this.deps.timers.now() - this.lastReadAt < this.settings.refreshGapMs) return;
    void this.check();
  }

  /**
   * When this instance's share has room (a lower target, a lease lost, an attempt that took none), its yielding
   * electors look at their gate again: one may now be open.
   */
  reconsiderIfRoom(): void {
    if (this.deps.balancer.hasRoom) for (const leader of this.deps.leaders()) leader.elector.reconsider();
  }

  /**
   * One read, or one more after the pending one if one is pending (resolves when it is done); `periodic`: the
   * interval's (skipped when one is pending: the interval is not a request for news).
   */
  check(periodic = false): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.reading) {
      if (!periodic) this.again = true;
      return this.reading;
    }
    this.reading = this.readWhileAsked(periodic).finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readWhileAsked(periodic: boolean): Promise<void> {
    let handOver = periodic;
    do {
      this.again = false;
      await this.read(handOver);
      handOver = false;
    } while (this.again && !this.stopped);
  }

  /** The last-seen times of the other workers that stay (a leaver no longer listed is forgotten). */
  private others(workers: readonly WorkerSeen[]): number[] {
    const times: number[] = [];
    const listed = new Set<string>();
    for (const { id, lastSeen } of workers) {
      listed.add(id);
      if (id !== this.deps.workerId && !this.leavers.has(id)) times.push(lastSeen);
    }
    for (const id of this.leavers) if (!listed.has(id)) this.leavers.delete(id);
    return times;
  }

  private async read(handOver: boolean): Promise<void> {
    const { workers, balancer, clock } = this.deps;
    this.lastReadAt = this.deps.timers.now();
    let seen: WorkerSeen[];
    try {
      seen = await workers.lastSeen();
    } catch {
      // Redis unreachable: reported by the connection layer; the next read tries again.
      return;
    }
    if (this.stopped) return;
    const leaders = this.deps.leaders();
    // (A leaver's runs are recovered too if it goes silent.)
    const oldest = seen.length > 0 ? seen[0].lastSeen : null;
    for (const leader of leaders) if (leader.isLeader) leader.reconciler.noteOldestWorker(oldest);
    const now = clock.now();
    balancer.observeLive(liveInstances(this.others(seen), now, this.settings.workerSilentMs));
    this.reconsiderIfRoom();
    if (handOver) await this.handOver(leaders, now);
  }

  /** Hands over the lease the balancer names, if any. */
  private async handOver(leaders: readonly PartitionLeader[], now: number): Promise<void> {
    const { balancer } = this.deps;
    const partition = balancer.toHandOver(now);
    if (partition === undefined) return;
    const reason =
      `handing partition ${partition} over: it leads ${balancer.heldPartitions.length} partition leases, ` +
      `its share is ${balancer.target}`;
    if (!(await leaders[partition].elector.handOver(reason))) return;
    try {
      await this.deps.notices.publish({ type: 'lease-handed-over', origin: this.deps.workerId, partition });
    } catch (error) {
      // The others find the lease free at their next try.
      this.deps.logger.warn(
        `Could not say that partition ${partition}'s lease was handed over: ${(error as Error).message}`,
      );
    }
  }
}
