import type {
  DynamicTaskCreateResult,
  DynamicTaskPort,
  DynamicTaskSet,
  DynamicTaskUpdateResult,
  ScheduleEntry,
} from './coordination.port.js';

/**
 * The dynamic task definitions of a deployment of several partitions: each definition lives in its task's
 * partition (next to the state and schedule its scripts decide on; both drivers build it over theirs), so a create, update, delete or read goes
 * to that partition's {@link DynamicTaskPort}. The whole set is every partition's, read at once, and its
 * generation is the partitions' generations joined: it changes when any does.
 */
export class PartitionedDynamicTasks implements DynamicTaskPort {
  constructor(
    /** Each partition's part, by index. */
    private readonly partitions: readonly DynamicTaskPort[],
    private readonly partitionOf: (taskId: string) => number,
  ) {}

  async loadAll(): Promise<DynamicTaskSet> {
    const sets = await Promise.all(this.partitions.map((part) => part.loadAll()));
    return { generation: sets.map((set) => set.generation).join(','), tasks: sets.flatMap((set) => set.tasks) };
  }

  async generation(): Promise<string> {
    return (await Promise.all(this.partitions.map((part) => part.generation()))).join(',');
  }

  create(taskId: string, definition: string, entry: ScheduleEntry): Promise<DynamicTaskCreateResult> {
    return this.of(taskId).create(taskId, definition, entry);
  }

  remove(taskId: string): Promise<string | null> {
    return this.of(taskId).remove(taskId);
  }

  read(taskId: string): Promise<string | null> {
    return this.of(taskId).read(taskId);
  }

  update(
    taskId: string,
    expectedVersion: string,
    definition: string,
    entry: ScheduleEntry,
    enabled?: boolean,
  ): Promise<DynamicTaskUpdateResult> {
    return this.of(taskId).update(taskId, expectedVersion, definition, entry, enabled);
  }

  private of(taskId: string): DynamicTaskPort {
    return this.partitions[this.partitionOf(taskId)];
  }
}
