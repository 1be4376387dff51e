/**
 * The run queue part of the coordination port (re-exported by `coordination.port.ts`): runs delivered to a
 * worker, their start, heartbeat, completion and hand-back.
 */
import type { TaskKwargs } from '../decorators/task.decorator.js';
import type { RunKind, ServerTimed, WorkerDescription } from './coordination.port.js';

/** A run delivered to this worker. */
export interface RunMessage {
  messageId: string;
  highPriority: boolean;
  taskId: string;
  slot: number;
  attempt: number;
  kind: RunKind;
  /** The run's own kwargs, given to the handler instead of its task's (a trigger with arguments, its retries). */
  kwargs?: TaskKwargs;
  /**
   * The data generation it was published in (`''`: unknown): a run whose message is gone was taken over if
   * the generation is still current, and lost with its data (FLUSHALL, Redis restarted empty) if not.
   */
  generation: string;
  /**
   * Which delivery of the run this is: 1, plus one for each earlier delivery whose worker stopped renewing
   * it (recovered by the leader). Hand-backs and re-reads do not count.
   */
  deliveries: number;
  /**
   * Server time (ms) until which this worker's lease of it is known to hold (nobody can have recovered it
   * before: recovery needs a full lease TTL of idleness): set when it starts here and at each heartbeat that
   * renews it (`LeaseKeeper`). With the lease TTL, one TTL after its publication counts too (`leaseLimit`).
   * A run whose message is gone with its data (wiped) is still this worker's only before this limit.
   */
  leaseUntil?: number;
  /**
   * The partition whose stream delivered it, set by a driver whose message ids are per partition (the Redis
   * driver with several partitions): two partitions' streams can give two runs the same id. Absent: the
   * deployment's one partition, or a driver whose ids are unique across partitions.
   */
  partition?: number;
}

/** A run a worker's heartbeat renews. */
export interface HeldLease {
  run: RunMessage;
  /** False while delivered but not started. */
  started: boolean;
  /** Its task is dynamic: nothing is written for it once its definition is gone. */
  dynamic?: boolean;
}

/** What a worker's heartbeat found. */
export interface HeartbeatResult extends ServerTimed {
  /** Indexes of the held runs that are no longer this worker's (taken over after their lease expired). */
  lost: number[];
  /**
   * Indexes of the held runs whose data was wiped (FLUSHALL, Redis restarted empty): nobody else has them,
   * they stay this worker's (their outcome is recorded, as `recordedAfterLoss`).
   */
  vanished: number[];
}

/** Whether a delivered run may start. */
export type StartDecision = 'start' | 'busy' | 'deleted' | 'lost';

/** How a run ended. */
export interface RunOutcome {
  status: 'success' | 'failed';
  startedAt: number;
  durationSeconds: number;
  error: string | null;
  /** The stack trace of a failure, for the failure log only (never recorded). */
  stack?: string;
}

/** Retry/backoff parameters applied when a run fails. */
export interface BackoffPolicy {
  retryBackoff: number;
  retryBackoffMax: number;
  retryBackoffMultiplier: number;
  maxAttempts: number;
}

/**
 * 'recorded', 'recordedAfterLoss' (its message vanished with its data), 'lost' (taken over elsewhere), or
 * 'deleted' (its dynamic task was deleted meanwhile: nothing written).
 */
export type CompletionResult = 'recorded' | 'recordedAfterLoss' | 'lost' | 'deleted';

/** The run queue, as seen by a worker. */
export interface RunQueuePort {
  /**
   * Blocks up to `blockMs` for runs, high priority first; at most `count` runs. The first read after
   * the backend connection was re-established returns the runs still pending for this consumer instead (a
   * reply lost with the connection would otherwise strand them): some may already be held.
   */
  read(consumer: string, count: number, blockMs: number): Promise<RunMessage[]>;
  /**
   * Marks runs as started. `busy`: another live run of its task holds the running marker (allowParallel
   * false): the run was moved back to the one-off queue for a second later. `deleted`: its dynamic task was
   * deleted meanwhile: the run was dropped. `lost`: the run was recovered by another worker while this one
   * was frozen. In each case it is no longer this worker's. A started run's `leaseUntil` is set.
   */
  start(
    consumer: string,
    runs: Array<{ run: RunMessage; allowParallel: boolean; dynamic: boolean }>,
    leaseTtlMs: number,
  ): Promise<StartDecision[]>;
  /**
   * The worker's heartbeat: renews the leases of held runs (`started` false: delivered, not started) and
   * refreshes the worker's registry entry (last seen: the server time); returns the indexes of lost runs.
   */
  renew(worker: WorkerDescription, held: HeldLease[], leaseTtlMs: number): Promise<HeartbeatResult>;
  /**
   * Records a run's outcome and releases it (one atomic step). A run of a `dynamic` task whose definition is
   * gone is only acknowledged ('deleted'): nothing is written for a deleted task.
   */
  complete(
    consumer: string,
    run: RunMessage,
    outcome: RunOutcome,
    backoff: BackoffPolicy,
    dynamic?: boolean,
  ): Promise<CompletionResult>;
  /**
   * Hands runs this worker holds back at once (shutdown; a lease it could not renew): each is re-published
   * as it is (a live worker runs it), its in-flight mark follows it and its running marker is released.
   * Returns, per run, whether it was handed back (false: it was not this worker's any more).
   */
  handBack(consumer: string, runs: RunMessage[], leaseTtlMs: number): Promise<boolean[]>;
  /**
   * Hands a delivered run back to the one-off queue, due after `delayMs`: its task is not known to this
   * instance (yet: a rolling deploy, or a dynamic task whose notice has not arrived).
   */
  requeue(run: RunMessage, delayMs: number): Promise<void>;
  /** Interrupts a pending blocking read (for shutdown). */
  interrupt(): void;
}
