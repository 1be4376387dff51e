import type { TaskKwargs } from '../decorators/task.decorator.js';
import type { ChangeNotice, RunKind, RunMessage, RunRecord, WorkerDescription } from '../engine/coordination.port.js';
import { realTimers, type EngineTimers } from '../engine/timers.js';
import { MemorySortedSet } from './memory-sorted-set.js';
import { leaseLimit } from '../wire/lease-limit.js';
import { assertPartitionCount, partitionOf } from '../wire/partition-of.js';

/** A run in a queue: what a Redis stream message holds. */
export interface MemoryRunEntry {
  id: string;
  taskId: string;
  slot: number;
  attempt: number;
  kind: RunKind;
  /** The run's own kwargs (the Redis message's field `w`), if any. */
  kwargs?: TaskKwargs;
  /** The data generation it was published in. */
  generation: string;
  /** Earlier deliveries whose worker stopped renewing it (the Redis message's field `d`). */
  reclaims?: number;
}

/** A delivered run not yet acknowledged (a Redis pending entry): its owner and when it was last touched. */
export interface MemoryDelivery {
  entry: MemoryRunEntry;
  consumer: string;
  /** Delivery or last renewal (ms): the lease runs from here. */
  touchedAt: number;
}

/** One priority's run queue (a Redis stream with its consumer group). */
export class MemoryStream {
  /** Published, not delivered yet, in publication order. */
  readonly queued = new Map<string, MemoryRunEntry>();
  /** Delivered and not acknowledged (the pending entries list). */
  readonly pending = new Map<string, MemoryDelivery>();

  constructor(readonly highPriority: boolean) {}

  /** Whether the message still exists (queued or delivered). */
  has(id: string): boolean {
    return this.queued.has(id) || this.pending.has(id);
  }

  /** XACK + XDEL: returns true when the message was pending (delivered and not acknowledged). */
  remove(id: string): boolean {
    this.queued.delete(id);
    return this.pending.delete(id);
  }

  clear(): void {
    this.queued.clear();
    this.pending.clear();
  }
}

/** Per-task state: the fields of the Redis `task:<id>` hash. */
export interface MemoryTaskRecord {
  disabled?: boolean;
  retryAfter?: number;
  retryDelay?: number;
  failures?: number;
  /** Run tag (wire/run-tag.ts) of the task's queued-or-running run (allowParallel false). */
  inflight?: string;
  /** Run tag (wire/run-tag.ts) of the run holding the running marker. */
  runningBy?: string;
  runningUntil?: number;
  lastStatus?: string;
  lastRun?: number;
}

/** A task's run history: capped, and dropped as a whole once it expires (like the Redis key's TTL). */
export interface MemoryHistory {
  records: RunRecord[];
  expiresAt: number;
}

/** The run a queued or delivered entry stands for. */
export function toRunMessage(entry: MemoryRunEntry, highPriority: boolean): RunMessage {
  const { id: messageId, taskId, slot, attempt, kind, kwargs, generation, reclaims = 0 } = entry;
  return {
    messageId,
    highPriority,
    taskId,
    slot,
    attempt,
    kind,
    ...(kwargs ? { kwargs } : {}),
    generation,
    deliveries: reclaims + 1,
  };
}

/**
 * Everything the in-process driver stores, in one object: the equivalent of one deployment's Redis keys.
 * Several drivers built on one store behave like instances sharing a Redis (within one process).
 * Holds data only; each port implements its operations on it, each operation synchronous (so atomic,
 * like a Lua script) apart from the blocking read.
 *
 * A deployment of several partitions (`split`) keeps each partition's data in a child store: its lease,
 * epoch, generation, schedule, signatures, one-off queue, run queues, task states, histories, dynamic
 * definitions and task sets. The children share the root's workers, worker descriptions, subscribers, blocked
 * readers, timers and message ids (unique across partitions, as one consumer holds runs of all of them).
 */
export class MemoryStore {
  leader: { token: string; expiresAt: number } | null = null;
  epoch = 0;
  /** The data generation (the Redis key `generation`): set by the first publish, forgotten by `clear`. */
  generation: string | null = null;
  private generations = 0;
  /** taskId -> next slot. */
  readonly schedule = new MemorySortedSet();
  /** taskId -> signature of the schedule its slot was computed for. */
  readonly signatures = new Map<string, string>();
  /** one-off member -> due time. */
  readonly oneOff = new MemorySortedSet();
  readonly high = new MemoryStream(true);
  readonly normal = new MemoryStream(false);
  /** Whether the run queues exist (false until `ensureGroups`, and after `clear`, like a flushed Redis). */
  groupsExist = false;
  readonly tasks = new Map<string, MemoryTaskRecord>();
  readonly histories = new Map<string, MemoryHistory>();
  /** taskId -> dynamic task definition (JSON). */
  readonly dynamic = new Map<string, string>();
  /** A fresh token on every change of `dynamic` ('' when never changed, like a missing Redis key). */
  dynamicGeneration = '';
  /** workerId -> last heartbeat (the root's). */
  readonly workers: MemorySortedSet;
  /** workerId -> digest of the static task set it declares. */
  readonly workerTaskSets = new Map<string, string>();
  /** digest -> a declared static task set, and when a live worker last declared it. */
  readonly taskSets = new Map<string, { ids: Set<string>; declaredAt: number }>();
  /** taskId -> when the leader first found it scheduled but declared by no live worker. */
  readonly orphans = new Map<string, number>();
  /** workerId -> self-description (the root's). */
  readonly workerInfo: Map<string, WorkerDescription>;
  private readonly listeners: Set<(notice: ChangeNotice) => void>;
  private readonly runWaiters: Set<() => void>;
  private lastIdMs = 0;
  private lastIdSeq = 0;
  private nextSweep = 0;
  /** The partitions' stores, by index: this store alone until `split`. */
  private parts: readonly MemoryStore[] = [this];
  /** The partition count of the first `split` (the drivers built on this store). */
  private layout?: number;
  /** The store whose workers, subscribers, blocked readers and ids this one shares (itself for a root). */
  private readonly root: MemoryStore;

  /**
   * @param timers the store's clock and timers (a fake one makes a test or a simulation deterministic)
   * @param root for a partition's store, the deployment's (root) store
   */
  constructor(
    readonly timers: EngineTimers = realTimers,
    root?: MemoryStore,
  ) {
    this.root = root ?? this;
    this.workers = root?.workers ?? new MemorySortedSet();
    this.workerInfo = root?.workerInfo ?? new Map();
    this.listeners = root?.listeners ?? new Set();
    this.runWaiters = root?.runWaiters ?? new Set();
  }

  /** Whether this is a partition's store (of a deployment of several partitions). */
  get isPartition(): boolean {
    return this.root !== this;
  }

  /** The partitions' stores, by index (this store alone with one partition). */
  get partitions(): readonly MemoryStore[] {
    return this.parts;
  }

  /**
   * Splits the root store into `partitions` partitions (once; nothing changes with one): their stores, by
   * index. Like the Redis layout marker, a store used with one partition count refuses another.
   */
  split(partitions: number): readonly MemoryStore[] {
    if (this.isPartition || (this.layout !== undefined && this.layout !== partitions))
      throw new Error(`this store holds ${this.layout ?? 1} partition(s), not ${partitions}`);
    if (this.layout === undefined) {
      assertPartitionCount(partitions);
      this.layout = partitions;
      if (partitions > 1) this.parts = Array.from({ length: partitions }, () => new MemoryStore(this.timers, this));
    }
    return this.parts;
  }

  /** The store of the partition `taskId` belongs to (this store with one partition). */
  of(taskId: string): MemoryStore {
    return this.parts.length === 1 ? this.parts[0] : this.parts[partitionOf(taskId, this.parts.length)];
  }

  /** The store's clock (the "server time" of the Redis scripts). */
  now(): number {
    return this.timers.now();
  }

  /** A new, increasing id `<ms>-<seq>` (the format of Redis stream ids). */
  nextId(): string {
    if (this.isPartition) return this.root.nextId();
    const now = this.now();
    if (now > this.lastIdMs) {
      this.lastIdMs = now;
      this.lastIdSeq = 0;
    } else {
      this.lastIdSeq++;
    }
    return `${this.lastIdMs}-${this.lastIdSeq}`;
  }

  /** The current leader lease token, or null when there is none or it expired. */
  leaderToken(now = this.now()): string | null {
    if (this.leader && this.leader.expiresAt <= now) this.leader = null;
    return this.leader?.token ?? null;
  }

  stream(highPriority: boolean): MemoryStream {
    return highPriority ? this.high : this.normal;
  }

  /** The data generation, created when missing. */
  currentGeneration(): string {
    this.generation ??= `${this.now()}.${++this.generations}`;
    return this.generation;
  }

  /** Whether the data a run of generation `generation` was published in was wiped since ('': unknown). */
  wipedSince(generation: string): boolean {
    return generation !== '' && this.generation !== generation;
  }

  /**
   * Whether a run whose delivery is gone is still its worker's: its data was wiped (nobody else has it) and it
   * cannot have been recovered elsewhere before the wipe (its lease limit is still ahead: `leaseLimit`).
   */
  keptThroughWipe(run: RunMessage, leaseTtlMs?: number): boolean {
    return this.wipedSince(run.generation) && this.now() < leaseLimit(run, leaseTtlMs);
  }

  /**
   * Appends a run to a queue (in the current generation unless it carries one) and wakes blocked readers;
   * returns its message id.
   */
  enqueue(highPriority: boolean, run: Omit<MemoryRunEntry, 'id' | 'generation'> & { generation?: string }): string {
    const id = this.nextId();
    const generation = run.generation ?? this.currentGeneration();
    this.stream(highPriority).queued.set(id, { id, ...run, generation });
    const waiters = [...this.runWaiters];
    this.runWaiters.clear();
    for (const wake of waiters) wake();
    return id;
  }

  /** Calls `wake` once at the next enqueue; returns a function that cancels it. */
  waitForRuns(wake: () => void): () => void {
    this.runWaiters.add(wake);
    return () => this.runWaiters.delete(wake);
  }

  /** A task's state record, created when missing. */
  state(taskId: string): MemoryTaskRecord {
    let record = this.tasks.get(taskId);
    if (!record) {
      record = {};
      this.tasks.set(taskId, record);
    }
    return record;
  }

  /** Drops a task's state record once every field is gone (a Redis hash vanishes with its last field). */
  compactState(taskId: string): void {
    const record = this.tasks.get(taskId);
    if (record && Object.values(record).every((value) => value === undefined)) this.tasks.delete(taskId);
  }

  /** A task's history, or undefined when it has none or it expired. */
  history(taskId: string, now = this.now()): MemoryHistory | undefined {
    const history = this.histories.get(taskId);
    if (history && history.expiresAt <= now) {
      this.histories.delete(taskId);
      return undefined;
    }
    return history;
  }

  /** Drops expired histories of every task (at most once a minute). */
  sweepHistories(now = this.now()): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + 60_000;
    for (const [taskId, history] of this.histories) if (history.expiresAt <= now) this.histories.delete(taskId);
  }

  /** Subscribes to change notices; returns a function that unsubscribes. */
  listen(listener: (notice: ChangeNotice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Delivers a change notice to every subscriber, asynchronously (never inside the publisher's call). */
  notify(notice: ChangeNotice): void {
    for (const listener of this.listeners) queueMicrotask(() => listener({ ...notice }));
  }

  /** Forgets everything, in every partition (like FLUSHALL); subscribers and blocked readers stay. */
  clear(): void {
    if (this.parts.length > 1) for (const part of this.parts) part.clear();
    this.leader = null;
    this.epoch = 0;
    this.generation = null;
    this.schedule.clear();
    this.signatures.clear();
    this.oneOff.clear();
    this.high.clear();
    this.normal.clear();
    this.groupsExist = false;
    this.tasks.clear();
    this.histories.clear();
    this.dynamic.clear();
    this.dynamicGeneration = '';
    this.workers.clear();
    this.workerInfo.clear();
    this.workerTaskSets.clear();
    this.taskSets.clear();
    this.orphans.clear();
  }
}
