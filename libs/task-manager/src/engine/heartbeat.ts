import type { HeldLease, RunQueuePort, WorkerDescription, WorkerRegistryPort } from './coordination.port.js';
import type { RunMessage } from './run-queue.port.js';
import { realTimers, type EngineTimers } from './timers.js';

/** What a heartbeat renews: the runs a worker holds (each with its key) and the worker's description. */
export interface HeartbeatLoad {
  description: WorkerDescription;
  runs: Array<HeldLease & { key: string }>;
}

/** What one heartbeat found. */
export interface HeartbeatReport {
  /** Local time at which it was sent: every run of its load was renewed from then on. */
  sentAt: number;
  /** The server time of the reply (feeds the cluster clock). */
  serverTime: number;
  /** Local time at which the reply arrived (a report may reach the main thread later). */
  receivedAt: number;
  /** Keys of runs that are no longer this worker's (taken over after their lease expired). */
  lost: string[];
  /** Keys of runs whose data was wiped (still this worker's). */
  vanished: string[];
  /** Keys of runs whose lease it renewed (every run of its load not lost): held until `serverTime` + TTL. */
  renewed: string[];
}

/**
 * Sets the lease limit of each run a heartbeat renewed (wire/lease-limit.ts): nobody can recover it before
 * the reply's server time + the lease TTL. `runOf` finds a renewed run by its key (undefined: released since).
 */
export function extendRenewedLeases(
  report: HeartbeatReport,
  leaseTtlMs: number,
  runOf: (key: string) => RunMessage | undefined,
): void {
  const leaseUntil = report.serverTime + leaseTtlMs;
  for (const key of report.renewed) {
    const run = runOf(key);
    if (run) run.leaseUntil = Math.max(run.leaseUntil ?? 0, leaseUntil);
  }
}

/**
 * One worker heartbeat (the same on the main thread and on the heartbeat thread): renews the leases of the
 * runs held and refreshes the worker's registry entry in one Lua call; an idle worker whose description did
 * not change only refreshes its last-seen time (one cheap script), and the leader not even that when its
 * lease renewals record it (`leaderCovers`): the beat is skipped.
 */
export class Heartbeat {
  /** The description the last renewal recorded. */
  private lastDescription?: WorkerDescription;

  constructor(
    private readonly runs: Pick<RunQueuePort, 'renew'>,
    private readonly workers: Pick<WorkerRegistryPort, 'touch'>,
    private readonly leaseTtlMs: number,
    private readonly timers: Pick<EngineTimers, 'now'> = realTimers,
    /** The leader's lease renewals record its worker heartbeat (engineSettings: leaderCoversIdleBeat). */
    private readonly leaderCovers = false,
  ) {}

  /** Beats once (null: skipped, the leader's renewals stand for it); throws when Redis cannot be reached. */
  async beat(load: HeartbeatLoad): Promise<HeartbeatReport | null> {
    const sentAt = this.timers.now();
    const { description } = load;
    if (load.runs.length === 0 && this.lastDescription && sameDescription(description, this.lastDescription)) {
      if (this.leaderCovers && description.isLeader) return null;
      const serverTime = await this.workers.touch(description.id);
      return { sentAt, serverTime, receivedAt: this.timers.now(), lost: [], vanished: [], renewed: [] };
    }
    const { lost, vanished, serverTime } = await this.runs.renew(description, load.runs, this.leaseTtlMs);
    this.lastDescription = description;
    return {
      sentAt,
      serverTime,
      receivedAt: this.timers.now(),
      lost: lost.map((index) => load.runs[index].key),
      vanished: vanished.map((index) => load.runs[index].key),
      renewed: load.runs.filter((_, index) => !lost.includes(index)).map((run) => run.key),
    };
  }
}

/** Whether two descriptions say the same (field by field: a beat compares them, a JSON text cost more). */
function sameDescription(a: WorkerDescription, b: WorkerDescription): boolean {
  const keys = Object.keys(a) as Array<keyof WorkerDescription>;
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** Beats on a timer and reports each result: on the main thread, or on the heartbeat thread. */
export interface HeartbeatTransport {
  /** Whether the beats run off the main thread (a blocked event loop does not stop them). */
  readonly offThread: boolean;
  /** Starts beating every interval; `onReport` receives each successful beat's result on the main thread. */
  start(onReport: (report: HeartbeatReport) => void): void;
  /** What the next beats renew. */
  update(load: HeartbeatLoad): void;
  /** Local time at which the last successful beat was sent (0: none yet); current even right after a block. */
  lastSuccessAt(): number;
  stop(): Promise<void>;
}
