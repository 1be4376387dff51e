import type {
  PartitionPort,
  PendingRunCounts,
  ReclaimOptions,
  ScheduleEntry,
  SchedulePort,
  PublishItem,
} from './coordination.port.js';
import { groupByPartition } from './partition-groups.js';

/**
 * The deployment's view of the schedules of several partitions: entries are registered in their tasks'
 * partitions (one call per partition, at once); `count` and `pendingRuns` sum the partitions'; the run
 * queues (consumer groups) are ensured in every partition. Both drivers build it over their partitions. The leader-side operations (due items, publish, reclaim) belong to
 * a partition's leader: here they are partition 0's, as the port's top-level lease is partition 0's.
 */
export class PartitionedSchedule implements SchedulePort {
  private readonly first: SchedulePort;

  constructor(
    private readonly partitions: readonly PartitionPort[],
    private readonly partitionOf: (taskId: string) => number,
  ) {
    this.first = partitions[0].schedule;
  }

  async register(entries: ScheduleEntry[]): Promise<number> {
    const groups = groupByPartition(
      entries.map((entry) => entry.taskId),
      this.partitionOf,
    );
    const changed = await Promise.all(
      groups.map((g) => this.partitions[g.partition].schedule.register(g.positions.map((at) => entries[at]))),
    );
    return changed.reduce((sum, n) => sum + n, 0);
  }

  async count(): Promise<number> {
    const counts = await Promise.all(this.partitions.map((p) => p.schedule.count()));
    return counts.reduce((sum, n) => sum + n, 0);
  }

  async pendingRuns(): Promise<PendingRunCounts> {
    const all = await Promise.all(this.partitions.map((p) => p.schedule.pendingRuns()));
    const total: PendingRunCounts = { high: { queued: 0, delivered: 0 }, normal: { queued: 0, delivered: 0 } };
    for (const counts of all) {
      for (const priority of ['high', 'normal'] as const) {
        total[priority].queued += counts[priority].queued;
        total[priority].delivered += counts[priority].delivered;
      }
    }
    return total;
  }

  async ensureGroups(): Promise<void> {
    await Promise.all(this.partitions.map((p) => p.schedule.ensureGroups()));
  }

  fetchDue(nowMs: number, limit: number) {
    return this.first.fetchDue(nowMs, limit);
  }

  peekEarliest() {
    return this.first.peekEarliest();
  }

  publish(token: string, nowMs: number, items: PublishItem[]) {
    return this.first.publish(token, nowMs, items);
  }

  reclaimExpired(token: string, options: ReclaimOptions) {
    return this.first.reclaimExpired(token, options);
  }
}
