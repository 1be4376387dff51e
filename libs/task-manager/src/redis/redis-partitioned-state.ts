import type { RedisClient } from './redis-client.js';
import type { RunRecord, TaskState, TaskStatePort } from '../engine/coordination.port.js';
import type { TaskKwargs } from '../decorators/task.decorator.js';
import { groupByPartition, inCallOrder } from '../engine/partition-groups.js';

/**
 * The task state operations of a deployment of several partitions: the ids of a call are grouped by
 * partition, each group goes to its partition's {@link TaskStatePort} (one script or pipeline per group, all
 * sent at once), and results come back in the caller's order. The partitions' parts send no change notice:
 * a change sends one, once every group is done, when any group applied it. A call that fails after some
 * groups applied reports the failure, as a lost reply would (each task's change stands on its own), after
 * the notice of what did apply.
 */
export class RedisPartitionedState implements TaskStatePort {
  constructor(
    private readonly client: RedisClient,
    /** Each partition's part, by index (built without a notice). */
    private readonly partitions: readonly TaskStatePort[],
    private readonly partitionOf: (taskId: string) => number,
    /** The change-notice channel. */
    private readonly events: string,
    private readonly notice: () => string,
  ) {}

  async setDisabled(taskIds: string[], disabled: boolean): Promise<void> {
    await this.eachThenNotify(taskIds, (part, ids) => part.setDisabled(ids, disabled));
  }

  async resetRetry(taskIds: string[]): Promise<void> {
    await this.each(taskIds, (part, ids) => part.resetRetry(ids));
  }

  async trigger(taskIds: string[], kwargs?: TaskKwargs): Promise<void> {
    await this.eachThenNotify(taskIds, (part, ids) => part.trigger(ids, kwargs));
  }

  async clearHistory(taskIds: string[]): Promise<void> {
    await this.each(taskIds, (part, ids) => part.clearHistory(ids));
  }

  async readStates(taskIds: string[]): Promise<TaskState[]> {
    const groups = groupByPartition(taskIds, this.partitionOf);
    const states = await Promise.all(groups.map((g) => this.partitions[g.partition].readStates(g.taskIds)));
    return inCallOrder(taskIds.length, groups, states);
  }

  readHistory(taskId: string, limit: number): Promise<RunRecord[]> {
    return this.partitions[this.partitionOf(taskId)].readHistory(taskId, limit);
  }

  /** Runs `call` on each partition with ids among `taskIds`, with those ids, all at once. */
  private async each(taskIds: string[], call: (part: TaskStatePort, ids: string[]) => Promise<void>): Promise<void> {
    const groups = groupByPartition(taskIds, this.partitionOf);
    await Promise.all(groups.map((g) => call(this.partitions[g.partition], g.taskIds)));
  }

  /** {@link each}, then the change notice when any group applied; the first failure is thrown after it. */
  private async eachThenNotify(
    taskIds: string[],
    call: (part: TaskStatePort, ids: string[]) => Promise<void>,
  ): Promise<void> {
    const groups = groupByPartition(taskIds, this.partitionOf);
    const outcomes = await Promise.allSettled(groups.map((g) => call(this.partitions[g.partition], g.taskIds)));
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (!failed || outcomes.some((outcome) => outcome.status === 'fulfilled'))
      await this.client.publish(this.events, this.notice());
    if (failed) throw failed.reason;
  }
}
