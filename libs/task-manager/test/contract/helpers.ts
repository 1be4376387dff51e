/** Shared pieces of the coordination contract suite. */
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  BackoffPolicy,
  CoordinationPort,
  DueItem,
  PublishItem,
  PublishStatus,
  ReclaimOptions,
  ReclaimResult,
  RunMessage,
  RunOutcome,
  StartDecision,
  WorkerDescription,
} from '../../src/engine/coordination.port.js';
import type { CoordinationHarness } from '../coordination-contract.js';

export { sleep };

/** What the contract asks of a driver's configuration. */
export interface ContractSettings {
  /** The worker the harness's main driver speaks for (origin of its notices). */
  readonly workerId: string;
  readonly statisticsHistoryRuns: number;
  /** Seconds; a whole number, since Redis expires keys in whole seconds. */
  readonly statisticsRedisExpiration: number;
  /** The deployment's partition count (absent: 1); set only for a driver that runs the partitioned section. */
  readonly partitions?: number;
}

export const CONTRACT_SETTINGS: ContractSettings = {
  workerId: 'worker-main',
  statisticsHistoryRuns: 3,
  statisticsRedisExpiration: 1,
};

/** What each section of the suite sees: the current test's harness. */
export interface ContractContext {
  readonly harness: CoordinationHarness;
  readonly port: CoordinationPort;
  /** Defines a test (or, for a failure the driver's spec declared known, a test expecting that failure). */
  readonly it: (title: string, fn: () => Promise<void>) => void;
}

/** Titles of tests a driver's spec may need to refer to (e.g. to declare a known failure). */
export const CONTRACT_TESTS = {
  blockedReadPriority:
    'a blocked read woken by a batch delivers high priority first and at most `count` runs; the rest stay for any consumer',
} as const;

/** A lease TTL short enough to expire within a test. */
export const SHORT_TTL = 300;
/** A lease TTL that never expires within a test. */
export const LONG_TTL = 30_000;

export const BACKOFF: BackoffPolicy = {
  retryBackoff: 1,
  retryBackoffMax: 4,
  retryBackoffMultiplier: 2,
  maxAttempts: 1,
};

/** Polls `predicate` until truthy (or throws after `timeoutMs`). */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** Becomes the leader as `workerId`; returns the token. */
export async function lead(port: CoordinationPort, workerId = 'leader', ttlMs = LONG_TTL): Promise<string> {
  const result = await port.leadership.acquire(workerId, ttlMs);
  if (!('token' in result)) throw new Error(`${workerId} could not lead (retry in ${result.retryInMs} ms)`);
  return result.token;
}

let signatures = 0;

/** Puts `taskId` on the schedule at `slot` (a new signature, so the slot is replaced). */
export async function scheduleAt(port: CoordinationPort, taskId: string, slot: number): Promise<void> {
  await port.schedule.register([{ taskId, signature: `sig-${++signatures}`, firstSlot: slot, dynamic: false }]);
}

/** The due item of `taskId` from `source`, as the leader would read it at `nowMs`. */
export async function dueOf(
  port: CoordinationPort,
  taskId: string,
  nowMs = Date.now(),
  source: DueItem['source'] = 'scheduled',
): Promise<DueItem | undefined> {
  const due = await port.schedule.fetchDue(nowMs, 1000);
  return due.find((d) => d.taskId === taskId && d.source === source);
}

/** A publish item for `due`: one run at its slot, the schedule advanced a minute. */
export function itemFor(due: DueItem, overrides: Partial<Omit<PublishItem, 'due'>> = {}): PublishItem {
  return {
    due,
    nextSlot: due.slot + 60_000,
    slots: [due.slot],
    highPriority: false,
    allowParallel: true,
    attempt: due.source === 'oneOff' ? due.attempt : 1,
    kind: due.source === 'oneOff' ? due.kind : 'scheduled',
    ...overrides,
  };
}

/** Options of {@link publishScheduled}. */
export interface PublishOptions extends Partial<Omit<PublishItem, 'due'>> {
  /** Slot of the due entry (default: a second ago). */
  slot?: number;
  /** The leader's clock (default: now). */
  nowMs?: number;
}

/** Schedules `taskId` at a past slot and publishes it; returns the item's status. */
export async function publishScheduled(
  port: CoordinationPort,
  token: string,
  taskId: string,
  { slot = Date.now() - 1000, nowMs = Date.now(), ...overrides }: PublishOptions = {},
): Promise<PublishStatus> {
  await scheduleAt(port, taskId, slot);
  const due = await dueOf(port, taskId, slot);
  if (!due) throw new Error(`${taskId} is not due at ${slot}`);
  const result = await port.schedule.publish(token, nowMs, [itemFor(due, overrides)]);
  return result.statuses[0];
}

/** One reclaim call with generous `maxDeliveries` unless given. */
export function reclaim(
  port: CoordinationPort,
  token: string,
  options: Partial<ReclaimOptions> & { leaseTtlMs: number; limit: number },
): Promise<ReclaimResult> {
  return port.schedule.reclaimExpired(token, { maxDeliveries: 100, ...options });
}

/** Reads whatever is queued (short block). */
export function readRuns(port: CoordinationPort, consumer: string, count = 100, blockMs = 50): Promise<RunMessage[]> {
  return port.runs.read(consumer, count, blockMs);
}

/** Reads whatever is queued as `consumer` and returns the run of `taskId` (throws when none was delivered). */
export async function readRunOf(port: CoordinationPort, consumer: string, taskId: string): Promise<RunMessage> {
  const run = (await readRuns(port, consumer)).find((r) => r.taskId === taskId);
  if (!run) throw new Error(`no run of ${taskId} delivered`);
  return run;
}

/** Publishes one run of `taskId` and reads it as `consumer`. */
export async function deliver(
  port: CoordinationPort,
  token: string,
  taskId: string,
  consumer: string,
  options: PublishOptions = {},
): Promise<RunMessage> {
  const status = await publishScheduled(port, token, taskId, options);
  if (status !== 'published') throw new Error(`${taskId} was not published: ${status}`);
  return readRunOf(port, consumer, taskId);
}

/** A dynamic task `taskId` created, one run of it published and delivered to `consumer`. */
export async function deliverDynamic(
  port: CoordinationPort,
  token: string,
  taskId: string,
  consumer: string,
  { allowParallel = true } = {},
): Promise<RunMessage> {
  const entry = { taskId, signature: 's', firstSlot: Date.now() + 60_000, dynamic: true };
  const created = await port.dynamicTasks.create(taskId, '{"name":"dyn"}', entry);
  if (created !== 'created') throw new Error(`${taskId} not created: ${created}`);
  await scheduleAt(port, taskId, Date.now() - 1000); // due now
  const due = (await dueOf(port, taskId))!;
  await port.schedule.publish(token, Date.now(), [itemFor(due, { allowParallel })]);
  return readRunOf(port, consumer, taskId);
}

/** The state of a task Redis knows nothing of. */
export const EMPTY_STATE = {
  disabled: false,
  nextRun: null,
  retryAfter: null,
  retryDelay: null,
  failures: 0,
  runningUntil: null,
  lastStatus: null,
  lastRun: null,
} as const;

/** Starts one run. */
export async function startOne(
  port: CoordinationPort,
  consumer: string,
  run: RunMessage,
  { allowParallel = true, dynamic = false, leaseTtlMs = LONG_TTL } = {},
): Promise<StartDecision> {
  const [decision] = await port.runs.start(consumer, [{ run, allowParallel, dynamic }], leaseTtlMs);
  return decision;
}

/**
 * Makes a delivered run vanish without recording anything: like any run of a dynamic task deleted meanwhile,
 * its message is acknowledged and deleted at start, and nothing else is touched (its in-flight mark stays).
 */
export async function dropRun(port: CoordinationPort, consumer: string, run: RunMessage): Promise<void> {
  const decision = await startOne(port, consumer, run, { dynamic: true });
  if (decision !== 'deleted') throw new Error(`run of ${run.taskId} not dropped: ${decision}`);
}

/** A run outcome that started now. */
export function outcome(status: RunOutcome['status'], error: string | null = null): RunOutcome {
  return { status, startedAt: Date.now(), durationSeconds: 0.25, error };
}

/** Publishes, delivers, starts and completes one run of `taskId`. */
export async function runToCompletion(
  port: CoordinationPort,
  token: string,
  taskId: string,
  result: RunOutcome,
  backoff: BackoffPolicy = BACKOFF,
  options: PublishOptions = {},
) {
  // A slot far in the future, so that the backoff gate of earlier failures does not apply.
  const future = Date.now() + 3_600_000;
  const run = await deliver(port, token, taskId, 'worker-a', { slot: future, nowMs: future, ...options });
  if ((await startOne(port, 'worker-a', run)) !== 'start') throw new Error('run did not start');
  return { run, completion: await port.runs.complete('worker-a', run, result, backoff) };
}

/** The state of one task. */
export async function stateOf(port: CoordinationPort, taskId: string) {
  const [state] = await port.state.readStates([taskId]);
  return state;
}

/** A worker's description of itself. */
export function worker(id: string, running = 0): WorkerDescription {
  return { id, host: 'host-1', pid: 42, startedAt: 1000, isLeader: false, running };
}
