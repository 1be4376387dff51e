import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis-client.js';
import type { RunRecord, TaskState, TaskStatePort } from '../engine/coordination.port.js';
import type { RedisScripts } from './redis-scripts.js';
import type { TaskManagerKeys } from './task-manager-keys.js';
import type { TaskKwargs } from '../decorators/task.decorator.js';
import { decodeRunKwargs, encodeRunKwargs } from '../wire/one-off-entry.js';
import { CLEAR_HISTORY_ARGS, TRIGGER_TASKS_ARGS } from '../wire/script-args.js';

const STATE_FIELDS = [
  'disabled',
  'retry_after',
  'retry_delay',
  'failures',
  'running_until',
  'last_status',
  'last_run',
] as const;

/** Per-task state, history and the operations of the management API, in pipelined round trips. */
export class RedisTaskState implements TaskStatePort {
  constructor(
    private readonly client: RedisClient,
    private readonly scripts: RedisScripts,
    private readonly keys: TaskManagerKeys,
    private readonly notice: () => string,
  ) {}

  async setDisabled(taskIds: string[], disabled: boolean): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const id of taskIds) {
      if (disabled) pipeline.hset(this.keys.taskState(id), 'disabled', '1');
      else pipeline.hdel(this.keys.taskState(id), 'disabled');
    }
    pipeline.publish(this.keys.events, this.notice());
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
          channel: this.keys.events,
          notice: this.notice(),
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

  async readStates(taskIds: string[]): Promise<TaskState[]> {
    if (taskIds.length === 0) return [];
    const pipeline = this.client.pipeline();
    pipeline.zmscore(this.keys.schedule, ...taskIds);
    for (const id of taskIds) pipeline.hmget(this.keys.taskState(id), ...STATE_FIELDS);
    const results = await execOrThrow(pipeline.exec());
    const scores = results[0] as Array<string | null>;
    return taskIds.map((_, i) => {
      const [disabled, retryAfter, retryDelay, failures, runningUntil, lastStatus, lastRun] = results[i + 1] as Array<
        string | null
      >;
      return {
        disabled: disabled !== null,
        nextRun: numberOrNull(scores[i]),
        retryAfter: numberOrNull(retryAfter),
        retryDelay: numberOrNull(retryDelay),
        failures: Number(failures ?? 0),
        runningUntil: numberOrNull(runningUntil),
        lastStatus,
        lastRun: numberOrNull(lastRun),
      };
    });
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

function numberOrNull(value: string | null | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

async function execOrThrow(pending: Promise<Array<[Error | null, unknown]> | null>): Promise<unknown[]> {
  const results = (await pending) ?? [];
  for (const [error] of results) if (error) throw error;
  return results.map(([, value]) => value);
}
