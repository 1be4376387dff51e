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
  /** A dynamic task is only (re)scheduled while its persisted definition exists. */
  dynamic: boolean;
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

/** Leader lease: acquisition with a fencing token, compare-and-set renewal and release. */
export interface LeadershipPort {
  acquire(workerId: string, ttlMs: number): Promise<{ token: string; epoch: number } | { retryInMs: number }>;
  /**
   * Renews the lease; with `checkWorkers`, also reports the oldest worker heartbeat, so the leader learns of
   * a dead worker (whose runs it must recover) without a separate poll.
   */
  renew(
    token: string,
    ttlMs: number,
    checkWorkers?: boolean,
  ): Promise<{ renewed: boolean; oldestWorkerSeen: number | null }>;
  release(token: string): Promise<void>;
}

/** The schedule, written by the leader only (every write checks the fencing token). */
export interface SchedulePort {
  register(entries: ScheduleEntry[]): Promise<number>;
  /** Number of scheduled tasks. */
  count(): Promise<number>;
  fetchDue(nowMs: number, limit: number): Promise<DueItem[]>;
  /** Earliest due time of the schedule and the one-off queue (ms), or null when both are empty. */
  peekEarliest(): Promise<number | null>;
  /** @throws LeadershipLostError when `token` is stale; nothing is changed then. */
  publish(token: string, nowMs: number, items: PublishItem[]): Promise<PublishResult>;
  /** Re-publishes runs whose lease expired; returns their task ids. @throws LeadershipLostError */
  reclaimExpired(token: string, leaseTtlMs: number, limit: number): Promise<string[]>;
  /** Recreates the consumer groups if they are missing (e.g. after FLUSHALL). */
  ensureGroups(): Promise<void>;
}

/** A run delivered to this worker. */
export interface RunMessage {
  messageId: string;
  highPriority: boolean;
  taskId: string;
  slot: number;
  attempt: number;
  kind: RunKind;
}

/** Whether a delivered run may start. */
export type StartDecision = 'start' | 'busy' | 'deleted' | 'lost';

/** How a run ended. */
export interface RunOutcome {
  status: 'success' | 'failed';
  startedAt: number;
  durationSeconds: number;
  error: string | null;
}

/** Retry/backoff parameters applied when a run fails. */
export interface BackoffPolicy {
  retryBackoff: number;
  retryBackoffMax: number;
  retryBackoffMultiplier: number;
  maxAttempts: number;
}

/** 'recorded', 'recordedAfterLoss' (its message vanished with its stream), or 'lost' (taken over elsewhere). */
export type CompletionResult = 'recorded' | 'recordedAfterLoss' | 'lost';

/** The run queue, as seen by a worker. */
export interface RunQueuePort {
  /** Blocks up to `blockMs` for runs, high priority first; at most `count` per priority. */
  read(consumer: string, count: number, blockMs: number): Promise<RunMessage[]>;
  /**
   * Marks runs as started. `busy`: another live run of its task holds the running marker (allowParallel
   * false): the run was moved back to the one-off queue for a second later. `deleted`: its dynamic task was
   * deleted meanwhile: the run was dropped. `lost`: the run was recovered by another worker while this one
   * was frozen. In each case it is no longer this worker's.
   */
  start(
    consumer: string,
    runs: Array<{ run: RunMessage; allowParallel: boolean; dynamic: boolean }>,
    leaseTtlMs: number,
  ): Promise<StartDecision[]>;
  /**
   * The worker's heartbeat: renews the leases of held runs (`started` false: delivered, not started) and
   * refreshes the worker's registry entry; returns the indexes of lost runs.
   */
  renew(
    worker: WorkerDescription,
    held: Array<{ run: RunMessage; started: boolean }>,
    leaseTtlMs: number,
  ): Promise<number[]>;
  complete(consumer: string, run: RunMessage, outcome: RunOutcome, backoff: BackoffPolicy): Promise<CompletionResult>;
  /** Acknowledges a run without recording it. */
  discard(run: RunMessage): Promise<void>;
  /**
   * Hands a delivered run back to the one-off queue, due after `delayMs`: its task is not known to this
   * instance (yet: a rolling deploy, or a dynamic task whose notice has not arrived).
   */
  requeue(run: RunMessage, delayMs: number): Promise<void>;
  /** Interrupts a pending blocking read (for shutdown). */
  interrupt(): void;
}

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
}

/** Task state operations used by the service and the API. */
export interface TaskStatePort {
  setDisabled(taskIds: string[], disabled: boolean): Promise<void>;
  resetRetry(taskIds: string[]): Promise<void>;
  trigger(taskIds: string[], nowMs: number): Promise<void>;
  clearHistory(taskIds: string[]): Promise<void>;
  readStates(taskIds: string[]): Promise<TaskState[]>;
  readHistory(taskId: string, limit: number): Promise<RunRecord[]>;
}

/** A cluster-wide change notice. */
export interface ChangeNotice {
  type: 'schedule' | 'tasks' | 'leader-released';
  origin: string;
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

/** What a worker says of itself on each heartbeat. */
export type WorkerDescription = Omit<WorkerInfo, 'lastSeen'>;

export interface WorkerRegistryPort {
  announce(info: WorkerDescription): Promise<void>;
  list(): Promise<WorkerInfo[]>;
  remove(workerId: string): Promise<void>;
  /** Refreshes a worker's heartbeat only (one ZADD: the idle heartbeat). */
  touch(workerId: string, nowMs: number): Promise<void>;
  /** Drops workers not seen for `staleMs`; returns their ids. */
  prune(staleMs: number, nowMs: number): Promise<string[]>;
}

/** Connection lifecycle and health. */
export interface BackendLifecycle {
  connect(): Promise<void>;
  close(): Promise<void>;
  isHealthy(): boolean;
}

/** Persisted dynamic task definitions. */
export interface DynamicTaskPort {
  loadAll(): Promise<Array<{ taskId: string; definition: string }>>;
  /** Persists and schedules a new dynamic task; false when one with that id exists (nothing changed). */
  create(taskId: string, definition: string, entry: ScheduleEntry): Promise<boolean>;
  /** Removes a task's definition and every trace of it in Redis; returns the removed definition, if any. */
  remove(taskId: string): Promise<string | null>;
}

/** The whole port. */
export interface CoordinationPort {
  readonly lifecycle: BackendLifecycle;
  readonly leadership: LeadershipPort;
  readonly schedule: SchedulePort;
  readonly runs: RunQueuePort;
  readonly state: TaskStatePort;
  readonly notices: NoticePort;
  readonly workers: WorkerRegistryPort;
  readonly dynamicTasks: DynamicTaskPort;
}
