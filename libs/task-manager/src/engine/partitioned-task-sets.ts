import { taskSetDigest } from '../wire/task-set-digest.js';
import type { TaskSetPort } from './coordination.port.js';

/** A task set as declared in one partition: its digest and ids. */
interface PartitionSet {
  readonly digest: string;
  readonly taskIds: string[];
}

/**
 * The deployment's view of the declared task sets of several partitions (both drivers build it over theirs):
 * an instance declares, in each partition, the subset of its static tasks that belong to it (every
 * partition, an empty subset too: a partition's sweep does nothing while a live worker has declared nothing
 * there), under the SHA-1 of that sorted subset. The sweep is a partition leader's: here partition 0's, as the
 * port's top-level lease is.
 */
export class PartitionedTaskSets implements TaskSetPort {
  /** The subsets of the last set declared (every pass declares the same set): computed once. */
  private split?: { digest: string; sets: PartitionSet[] };

  constructor(
    /** Each partition's declarations and sweep, by index. */
    private readonly partitions: readonly TaskSetPort[],
    private readonly partitionOf: (taskId: string) => number,
  ) {}

  async declare(workerId: string, digest: string, taskIds: string[]): Promise<void> {
    if (this.split?.digest !== digest) this.split = { digest, sets: this.subsets(taskIds) };
    const { sets } = this.split;
    await Promise.all(this.partitions.map((p, i) => p.declare(workerId, sets[i].digest, sets[i].taskIds)));
  }

  sweep(token: string, graceMs: number, cursor: string, count: number) {
    return this.partitions[0].sweep(token, graceMs, cursor, count);
  }

  private subsets(taskIds: string[]): PartitionSet[] {
    const ids: string[][] = this.partitions.map(() => []);
    for (const taskId of [...taskIds].sort()) ids[this.partitionOf(taskId)].push(taskId);
    return ids.map((subset) => ({
      digest: taskSetDigest(subset),
      taskIds: subset,
    }));
  }
}
