import type { TaskKwargs } from '../decorators/task.decorator.js';
import type { HeartbeatTransport } from './heartbeat.js';

/**
 * The engine's coordination port: everything the engine needs from a shared backend, in narrow parts.
 * The Redis driver (`redis/redis-coordination.ts`) is the real implementation; loops depend only on the
 * part they use, so tests can pass plain fakes and an in-process driver can be added without touching them.
 */

/** A schedule entry to register: the task, the signature of its schedule, and its first slot. */
export interface ScheduleEntry {
  taskId: string;
  signature: string;
  firstSlot: number;
  /** A dynamic task is only (re)scheduled while its persisted definition exists… */
  dynamic: boolean;
  /** … and, when given, is still the version this entry was computed from (`definitionVersion`). */
  version?: string;
  /** Declared disabled (`@Task(..., { disabled: true })`): a task never registered before starts disabled. */
  disabled?: boolean;
}

/** Something due, as read from the schedule (`scheduled`) or the one-off queue (`oneOff`). */
export type DueItem =
  | { source: 'scheduled'; taskId: string; slot: number; rawScore: string }
  | {
      source: 'oneOff';
      taskId: string;
      slot: number;
      attempt: number;
      kind: RunKind;
      member: string;
      /** The run's own kwargs (a trigger with arguments), if any. */
      kwargs?: TaskKwargs;
    };

/** Why a run exists. */
export type RunKind = 'scheduled' | 'misfire' | 'trigger' | 'retry';

/** One item of a publish batch. */
export interface PublishItem {
  due: DueItem;
  /** Next slot of a scheduled item (ignored for one-off items). */
  nextSlot: number;
  /** Slots to publish runs for (a scheduled item may publish 0, 1 or several: misfire policy). */
  slots: number[];
  highPriority: boolean;
  allowParallel: boolean;
  attempt: number;
  kind: RunKind;
}

export type PublishStatus = 'published' | 'moved' | 'disabled' | 'backoff' | 'busy' | 'deferred' | 'skipped';

/** Result of a publish batch. */
export interface PublishResult {
  statuses: PublishStatus[];
  /** Earliest due time after the batch (ms), or null when nothing is scheduled. */
  earliestDue: number | null;
}

/** A reply that carries the server's time (ms): it feeds the instance's estimate of the cluster clock. */
export interface ServerTimed {
  serverTime: number;
}

/**
 * Leader lease control: acquisition with a fencing token, compare-and-set renewal and release. Times are
 * server times (the cluster's one clock). What the elector works with ({@link LeadershipPort} without its read).
 */
export interface LeaseControl {
  acquire(
    workerId: string,
    ttlMs: number,
  ): Promise<({ token: string; epoch: number } | { retryInMs: number }) & ServerTimed>;
  /**
   * Renews the lease; with `checkWorkers`, also reports the oldest worker heartbeat, so the leader learns of
   * a dead worker (whose runs it must recover) without a separate poll. With `clusterNow` (the caller's
   * estimate of the cluster time), a driver may skip reading the server's clock: `serverTime` is then NaN.
   */
  renew(
    token: string,
    ttlMs: number,
    checkWorkers?: boolean,
    clusterNow?: number,
  ): Promise<{ renewed: boolean; oldestWorkerSeen: number | null } & ServerTimed>;
  /**
   * Whether a successful renewal with `checkWorkers` also records the leader's worker heartbeat (at the
   * cluster time), so that the leader's idle worker heartbeat can be skipped while it leads. Undefined: it
   * does not.
   */
  readonly renewalRecordsLeader?: boolean;
  release(token: string): Promise<void>;
}

/** The leader lease: its control, and a read of who holds it (for health). */
export interface LeadershipPort extends LeaseControl {
  /**
   * The token (`<workerId>|<epoch>`, `wire/leader-token.ts`) of the lease's current holder, or null when
   * nobody holds it (free, released or expired). One plain read: it neither renews nor fences anything.
   */
  holder(): Promise<string | null>;
}

/** The schedule, written by the leader only (every write checks the fencing token). */
export interface SchedulePort {
  register(entries: ScheduleEntry[]): Promise<number>;
  /** Number of scheduled tasks. */
  count(): Promise<number>;
  /**
   * The runs published and not completed yet, per priority (one read): `queued` wait for a worker,
   * `delivered` were read by one (starting, executing, or held by a worker that died and not reclaimed yet).
   */
  pendingRuns(): Promise<PendingRunCounts>;
  fetchDue(nowMs: number, limit: number): Promise<DueItem[]>;
  /** Earliest due time of the schedule and the one-off queue (ms), or null when both are empty. */
  peekEarliest(): Promise<number | null>;
  /** @throws LeadershipLostError when `token` is stale; nothing is changed then. */
  publish(token: string, nowMs: number, items: PublishItem[]): Promise<PublishResult>;
  /**
   * Re-publishes runs whose lease expired, scanning at most `limit` pending runs per priority from `cursor`
   * (default: the start); returns their task ids and where the scan continues. A run whose deliveries reach
   * `maxDeliveries` (each ended with its worker gone) is not re-published but returned as exhausted, still
   * pending, for the leader to record as failed (`RunQueuePort.complete`). A scan from the start that finds
   * nothing pending answers nothing, whatever `token` (it reads no lease: an idle leader sweeps all the time).
   * @throws LeadershipLostError when `token` is stale and something is pending; nothing is changed then.
   */
  reclaimExpired(token: string, options: ReclaimOptions): Promise<ReclaimResult>;
  /** Recreates the consumer groups if they are missing (e.g. after FLUSHALL). */
  ensureGroups(): Promise<void>;
}

/** Runs in one priority's queue that are not completed. */
export interface PendingRunCount {
  queued: number;
  delivered: number;
}

/** {@link SchedulePort.pendingRuns}: the pending runs of each priority. */
export interface PendingRunCounts {
  high: PendingRunCount;
  normal: PendingRunCount;
}

/** Where a scan of the pending runs continues, per priority (`'0-0'`: from the start). */
export interface ReclaimCursor {
  high: string;
  normal: string;
}

/** What one reclaim call looks at. */
export interface ReclaimOptions {
  /** A run not renewed for this long is recovered. */
  leaseTtlMs: number;
  /** Most pending runs taken per priority. */
  limit: number;
  /** Where the scan starts (default: the start). */
  cursor?: ReclaimCursor;
  /** Deliveries after which a run is given up instead of re-published (a poison pill). */
  maxDeliveries: number;
}

/** What one reclaim call did. */
export interface ReclaimResult {
  /** Task ids of the runs re-published. */
  taskIds: string[];
  /** Runs given up after `maxDeliveries` deliveries: still pending, to be recorded as failed. */
  exhausted: RunMessage[];
  /** Where the next call continues; `'0-0'` for both once every pending run was looked at. */
  cursor: ReclaimCursor;
}

export type * from './run-queue.port.js';
import type { RunMessage, RunQueuePort } from './run-queue.port.js';

/** Per-task state as stored. */
export interface TaskState {
  disabled: boolean;
  nextRun: number | null;
  retryAfter: number | null;
  retryDelay: number | null;
  failures: number;
  runningUntil: number | null;
  lastStatus: string | null;
  lastRun: number | null;
}

/** One history entry. */
export interface RunRecord {
  id: string;
  startedAt: number;
  durationSeconds: number;
  status: string;
  error: string | null;
  workerId: string;
  scheduledAt: number;
  attempt: number;
  kind: string;
  /** The run's own kwargs (a trigger with arguments, its retries); null when it ran with its task's. */
  kwargs: TaskKwargs | null;
  /** The stack trace of a failure (its first 4 KiB), when there is one; null otherwise. */
  errorStack: string | null;
}

/** Task state operations used by the service and the API. */
export interface TaskStatePort {
  setDisabled(taskIds: string[], disabled: boolean): Promise<void>;
  resetRetry(taskIds: string[]): Promise<void>;
  /**
   * Queues a run of each task due now (server time) and clears its backoff; with `kwargs`, the runs take
   * them instead of their task's.
   */
  trigger(taskIds: string[], kwargs?: TaskKwargs): Promise<void>;
  clearHistory(taskIds: string[]): Promise<void>;
  readStates(taskIds: string[]): Promise<TaskState[]>;
  readHistory(taskId: string, limit: number): Promise<RunRecord[]>;
}

/**
 * A cluster-wide change notice: the schedule or the dynamic tasks changed; an instance that stops released its
 * leases (`leader-released`: it leaves); an instance handed a partition's lease over to balance the leases
 * (`lease-handed-over`, several partitions only: it stays).
 */
export interface ChangeNotice {
  type: 'schedule' | 'tasks' | 'leader-released' | 'lease-handed-over';
  origin: string;
  /** Of a `lease-handed-over`: the partition whose lease is free. */
  partition?: number;
}

/** Cluster-wide change notices (pub/sub). */
export interface NoticePort {
  publish(notice: ChangeNotice): Promise<void>;
  subscribe(listener: (notice: ChangeNotice) => void): Promise<void>;
}

/** Worker registry. */
export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  /** Last heartbeat (ms). */
  lastSeen: number;
  /** Holds the leader lease. */
  isLeader: boolean;
  /** Runs executing on it at its last heartbeat. */
  running: number;
}

/** A worker and its last heartbeat. */
export type WorkerSeen = Pick<WorkerInfo, 'id' | 'lastSeen'>;

/** What a worker says of itself on each heartbeat. */
export type WorkerDescription = Omit<WorkerInfo, 'lastSeen'>;

/** Live workers; every last-seen time is a server time. */
export interface WorkerRegistryPort {
  /** Records a worker's description and heartbeat; returns the server time. */
  announce(info: WorkerDescription): Promise<number>;
  list(): Promise<WorkerInfo[]>;
  /** Every worker's last-seen time (server time, ms), lowest first (one read; no descriptions). */
  lastSeen(): Promise<WorkerSeen[]>;
  remove(workerId: string): Promise<void>;
  /** Refreshes a worker's heartbeat only (the idle heartbeat); returns the server time. */
  touch(workerId: string): Promise<number>;
  /** The server time (one read, nothing written): the cluster clock's first samples at start-up. */
  serverTime(): Promise<number>;
  /** Drops workers not seen for `staleMs` at cluster time `nowMs`; returns their ids. */
  prune(staleMs: number, nowMs: number): Promise<string[]>;
}

/** Connection lifecycle and health. */
export interface BackendLifecycle {
  /** @throws TaskManagerConfigurationError when the deployment cannot be joined (e.g. a foreign consumer group). */
  connect(): Promise<void>;
  close(): Promise<void>;
  isHealthy(): boolean;
  /**
   * Why this instance must not run in the deployment, if it must not: a consumer group of another
   * `workerServiceName` on the same key prefix (its instances would run every slot a second time).
   */
  deploymentProblem(): Promise<string | undefined>;
}

/** The persisted dynamic task definitions, and the generation they were read at. */
export interface DynamicTaskSet {
  /** Changes (to a value never used before) on every create and delete: compare to know if a set is stale. */
  generation: string;
  tasks: Array<{ taskId: string; definition: string }>;
}

/** Persisted dynamic task definitions. */
export interface DynamicTaskPort {
  loadAll(): Promise<DynamicTaskSet>;
  /** The current generation of the definitions (one cheap read). */
  generation(): Promise<string>;
  /**
   * Persists and schedules a new dynamic task at `entry.firstSlot`. 'exists': one with that id exists;
   * 'late': the first slot is not after the server's time now (the request reached the store late, e.g. held
   * by a frozen link; planned then, that slot may have run already under a task of the same name deleted
   * meanwhile): plan it again. Nothing changed then.
   */
  create(taskId: string, definition: string, entry: ScheduleEntry): Promise<DynamicTaskCreateResult>;
  /** Removes a task's definition and every trace of it in Redis; returns the removed definition, if any. */
  remove(taskId: string): Promise<string | null>;
  /** The stored definition of one dynamic task (JSON), or null when there is none. */
  read(taskId: string): Promise<string | null>;
  /**
   * Replaces a dynamic task's definition, atomically, if it is still the version `expectedVersion`
   * (`definitionVersion` of the definition read); puts the task back on the schedule at `entry.firstSlot` when
   * the entry's signature differs from the stored one (a new cron expression or time zone); with `enabled`,
   * also enables or disables it. Every instance is told (a new generation and a change notice).
   * 'missing': no dynamic task of that id; 'changed': its stored definition is another version; 'late': the
   * task is re-planned and `entry.firstSlot` is not after the server's time now (see `create`). Nothing
   * changed then.
   */
  update(
    taskId: string,
    expectedVersion: string,
    definition: string,
    entry: ScheduleEntry,
    enabled?: boolean,
  ): Promise<DynamicTaskUpdateResult>;
}

/** {@link DynamicTaskPort.create}: 'created', or why nothing changed. */
export type DynamicTaskCreateResult = 'created' | 'exists' | 'late';

/** {@link DynamicTaskPort.update}: 'updated', or why nothing changed. */
export type DynamicTaskUpdateResult = 'updated' | 'missing' | 'changed' | 'late';

/** One step of the sweep of undeclared tasks: where the next step starts ('0': a new pass) and what it removed. */
export interface SweepResult {
  cursor: string;
  removed: string[];
}

/**
 * The static task sets the live instances declare, and the leader's removal of scheduled tasks that none of
 * them declares any more (removed from the code).
 */
export interface TaskSetPort {
  /**
   * Records that `workerId` declares the static tasks `taskIds` (stored once per distinct set, under
   * `digest`). Cheap when the set is stored already (one call).
   */
  declare(workerId: string, digest: string, taskIds: string[]): Promise<void>;
  /**
   * One step of the sweep of the schedule, from `cursor` ('0' to start a pass), `count` entries: an
   * entry that no live worker declares and no dynamic definition backs is noted (server time); one still
   * undeclared `graceMs` after it was first noted is removed, with its signature, state and history. Does
   * nothing (cursor '0') while a live worker has not declared its set (e.g. an older version mid-deploy).
   * @throws LeadershipLostError when `token` is stale; nothing is changed then.
   */
  sweep(token: string, graceMs: number, cursor: string, count: number): Promise<SweepResult>;
}

/** Timing of the worker heartbeat, for a driver that runs it off the main thread. */
export interface HeartbeatSettings {
  intervalMs: number;
  leaseTtlMs: number;
  /** The leader's idle beat is skipped: its lease renewals record its heartbeat (see Heartbeat). */
  leaderCovers?: boolean;
}

/**
 * One partition of the deployment's tasks: its leader lease, its schedule (with its one-off queue and run
 * streams) and the sweep of its undeclared tasks. With one partition (the default), its parts are the port's
 * own `leadership`, `schedule` and `taskSets` (the same objects).
 */
export interface PartitionPort {
  /** Its place in {@link CoordinationPort.partitions}. */
  readonly index: number;
  readonly leadership: LeadershipPort;
  readonly schedule: SchedulePort;
  readonly taskSets: Pick<TaskSetPort, 'sweep'>;
}

/** The whole port. */
export interface CoordinationPort {
  readonly lifecycle: BackendLifecycle;
  /** Partition 0's lease (the only partition's, with one). */
  readonly leadership: LeadershipPort;
  readonly schedule: SchedulePort;
  /** The partitions of the deployment's tasks, by index (the `partitions` option). */
  readonly partitions: readonly PartitionPort[];
  /** The index of the partition `taskId` belongs to (0 with one partition). */
  readonly partitionOf: (taskId: string) => number;
  readonly runs: RunQueuePort;
  readonly state: TaskStatePort;
  readonly notices: NoticePort;
  readonly workers: WorkerRegistryPort;
  readonly dynamicTasks: DynamicTaskPort;
  readonly taskSets: TaskSetPort;
  /**
   * A worker heartbeat that runs off the main thread (its own connection), so that a handler blocking the
   * event loop keeps its run leases; undefined when the driver cannot offer one (the engine then beats on
   * the main thread).
   */
  readonly heartbeatThread?: (settings: HeartbeatSettings) => HeartbeatTransport | undefined;
}
