import type { LoggerService } from '@nestjs/common';
import { decodeTaskId, runIdOf } from '../registry/task-id.js';
import type { TaskRegistry } from '../registry/task-registry.js';
import type { ClusterClock } from './cluster-clock.js';
import type { RunMessage, RunQueuePort } from './coordination.port.js';
import { backoffPolicyOf, type BackoffDefaults } from './backoff-delay.js';
import type { TaskManagerEvents } from './task-manager-events.js';

/** Why a run was given up, in the history and the `run.failed` event. */
export function exhaustedRunError(deliveries: number): string {
  return (
    `Given up: delivered ${deliveries} times, and each time the worker running it stopped (it crashed, was ` +
    'killed, or lost Redis) before it finished. A handler that kills its process? See maxDeliveries.'
  );
}

/** Group and task names of a task id (the id itself when it is not one this library wrote). */
function namesOf(taskId: string): { group: string; task: string } {
  try {
    return decodeTaskId(taskId);
  } catch {
    return { group: '', task: taskId };
  }
}

/**
 * Records the runs the leader gave up after `maxDeliveries` deliveries (a poison pill) as failed: history,
 * backoff and retries as for any failure, one `run.failed` event each. A run not recorded now (Redis
 * trouble, a new leader) stays pending and is given up again by the next sweep.
 */
export class ExhaustedRuns {
  constructor(
    private readonly runs: RunQueuePort,
    private readonly registry: TaskRegistry,
    private readonly workerId: string,
    private readonly backoff: BackoffDefaults,
    private readonly clock: ClusterClock,
    private readonly events: Pick<TaskManagerEvents, 'emit'>,
    private readonly logger: LoggerService,
  ) {}

  async record(exhausted: RunMessage[]): Promise<void> {
    for (const run of exhausted) {
      const task = this.registry.getTask(run.taskId);
      const error = exhaustedRunError(run.deliveries);
      const outcome = { status: 'failed' as const, startedAt: this.clock.now(), durationSeconds: 0, error };
      const backoff = task ? backoffPolicyOf(task, this.backoff) : { ...this.backoff, maxAttempts: 1 };
      const result = await this.runs.complete(this.workerId, run, outcome, backoff, task?.dynamic);
      if (result !== 'recorded' && result !== 'recordedAfterLoss') continue;
      const { group, task: name } = task ? { group: task.groupName, task: task.name } : namesOf(run.taskId);
      this.logger.error(`Run ${group}/${name}@${run.slot} (attempt ${run.attempt}): ${error}`);
      this.events.emit('run.failed', {
        groupName: group,
        taskName: name,
        taskId: run.taskId,
        runId: runIdOf(run.taskId, run.slot, run.attempt),
        scheduledAt: new Date(run.slot),
        attempt: run.attempt,
        workerId: this.workerId,
        kind: run.kind,
        durationMs: 0,
        error,
        timedOut: false,
      });
    }
  }
}
