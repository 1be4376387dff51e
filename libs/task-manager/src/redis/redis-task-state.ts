import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis-client.js';
import type { RunRecord, TaskState, TaskStatePort } from '../engine/coordination.port.js';
import type { RedisScripts } from './redis-scripts.js';
import type { PartitionKeys } from './task-manager-keys.js';
import type { TaskKwargs } from '../decorators/task.decorator.js';
import { decodeRunKwargs, encodeRunKwargs } from '../wire/one-off-entry.js';
import { CLEAR_HISTORY_ARGS, TRIGGER_TASKS_ARGS } from '../wire/script-args.js';

/** The fields of a task's state HASH a state read returns, in the order of its reply. */
const STATE_FIELDS = [
  'disabled',
  'retry_after',
  'retry_delay',
  'failures',
  'running_until',
  'last_status',
  'last_run',
] as const;

/** The fields argument of the read-states script. */
const READ_FIELDS = STATE_FIELDS.join(' ');

/** Values per task in a reply of the read-states script: the schedule score, then each state field. */
const STATE_STRIDE = 1 + STATE_FIELDS.length;

/** Where each state field is among a task's values in that reply (after the score). */
const AT = Object.fromEntries(STATE_FIELDS.map((field, i) => [field, 1 + i])) as Record<
  (typeof STATE_FIELDS)[number],
  number
>;

/** Tasks per read-states script call: a call holds the server for about 2 ms (Redis 7, 2 cores). */
const READ_BATCH = 500;

/** Per-task state, history and the operations of the management API, in pipelined round trips. */
export class RedisTaskState implements TaskStatePort {
  constructor(
    private readonly client: RedisClient,
    private readonly scripts: RedisScripts,
    /** The keys of the tasks' partition (a deployment of one partition: its own). */
    private readonly keys: PartitionKeys,
    /** The change-notice channel. */
    private readonly events: string,
    /**
     * The notice of a change; undefined: send none (a partition's part of a change that spans several,
     * whose caller sends one notice for all of them).
     */
    private readonly notice: (() => string) | undefined,
  ) {}

  async setDisabled(taskIds: string[], disabled: boolean): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const id of taskIds) {
      if (disabled) pipeline.hset(this.keys.taskState(id), 'disabled', '1');
      else pipeline.hdel(this.keys.taskState(id), 'disabled');
    }
    if (this.notice) pipeline.publish(this.events, this.notice());
    await execOrThrow(pipeline.exec());
  }

  async resetRetry(taskIds: string[]): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const id of taskIds) pipeline.hdel(this.keys.taskState(id), 'retry_after', 'retry_delay', 'failures');
    await execOrThrow(pipeline.exec());
  }

  async trigger(taskIds: string[], kwargs?: TaskKwargs): Promise<void> {
    await this.scripts.run(
      'triggerTasks',
      [this.keys.oneOff],
      TRIGGER_TASKS_ARGS.encode(
        {
          taskStatePrefix: this.keys.taskStatePrefix,
          // (PUBLISH to the empty channel reaches no one.)
          channel: this.notice ? this.events : '',
          notice: this.notice ? this.notice() : '',
          requestKey: this.keys.request(randomUUID()),
          kwargs: encodeRunKwargs(kwargs),
        },
        taskIds.map((taskId) => ({ taskId })),
      ),
    );
  }

  async clearHistory(taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) return;
    await this.scripts.run(
      'clearHistory',
      [this.keys.history(taskIds[0])],
      CLEAR_HISTORY_ARGS.encode(
        { taskStatePrefix: this.keys.taskStatePrefix, historyPrefix: this.keys.historyPrefix },
        taskIds.map((taskId) => ({ taskId })),
      ),
    );
  }

  /**
   * One read-only script call per batch of {@link READ_BATCH} tasks, every call sent at once (one round trip):
   * each answers its tasks' states as one JSON text, so a listing costs a few commands, not one per task.
   */
  async readStates(taskIds: string[]): Promise<TaskState[]> {
    const batches: Array<Promise<TaskState[]>> = [];
    for (let from = 0; from < taskIds.length; from += READ_BATCH) {
      const args = [this.keys.taskStatePrefix, READ_FIELDS, ...taskIds.slice(from, from + READ_BATCH)];
      // Each batch decoded as soon as it is answered, while Redis reads the next ones.
      batches.push(this.scripts.run<string>('readStates', [this.keys.schedule], args).then(toStates));
    }
    return (await Promise.all(batches)).flat();
  }

  async readHistory(taskId: string, limit: number): Promise<RunRecord[]> {
    const entries = (await this.client.xrevrange(this.keys.history(taskId), '+', '-', 'COUNT', limit)) as Array<
      [string, string[]]
    >;
    return entries.reverse().map(([id, fields]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) f[fields[i]] = fields[i + 1];
      return {
        id,
        startedAt: Number(f.ts),
        durationSeconds: Number(f.d),
        status: f.st,
        error: f.e ? f.e : null,
        workerId: f.w,
        scheduledAt: Number(f.s),
        attempt: Number(f.a ?? 1),
        kind: f.k ?? 'scheduled',
        kwargs: decodeRunKwargs(f.kw) ?? null,
        errorStack: f.es ? f.es : null,
      };
    });
  }
}

/** The states of a batch, from the JSON reply of the read-states script. */
function toStates(reply: string): TaskState[] {
  const values = JSON.parse(reply) as Array<string | false>;
  const states: TaskState[] = [];
  for (let at = 0; at < values.length; at += STATE_STRIDE) states.push(toState(values, at));
  return states;
}

/**
 * The state of the task whose values start at `at` in a reply of the read-states script: its score on the
 * schedule, then {@link STATE_FIELDS} in order, false where absent.
 */
function toState(values: ReadonlyArray<string | false>, at: number): TaskState {
  // Indexed reads, not a destructured slice: a listing decodes thousands of states.
  const failures = values[at + AT.failures];
  const lastStatus = values[at + AT.last_status];
  return {
    disabled: values[at + AT.disabled] !== false,
    nextRun: numberOrNull(values[at]),
    retryAfter: numberOrNull(values[at + AT.retry_after]),
    retryDelay: numberOrNull(values[at + AT.retry_delay]),
    failures: failures === false ? 0 : Number(failures),
    runningUntil: numberOrNull(values[at + AT.running_until]),
    lastStatus: lastStatus === false ? null : lastStatus,
    lastRun: numberOrNull(values[at + AT.last_run]),
  };
}

function numberOrNull(value: string | false): number | null {
  return value === false ? null : Number(value);
}

async function execOrThrow(pending: Promise<Array<[Error | null, unknown]> | null>): Promise<unknown[]> {
  const results = (await pending) ?? [];
  for (const [error] of results) if (error) throw error;
  return results.map(([, value]) => value);
}
