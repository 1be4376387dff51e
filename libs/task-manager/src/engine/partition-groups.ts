/** The task ids of one partition among those of a call, and where each stands in the call. */
export interface PartitionGroup {
  readonly partition: number;
  readonly taskIds: string[];
  /** `positions[k]`: the index of `taskIds[k]` in the call's ids. */
  readonly positions: number[];
}

/** The ids of a call grouped by partition (partitions in ascending order; each group in the call's order). */
export function groupByPartition(
  taskIds: readonly string[],
  partitionOf: (taskId: string) => number,
): PartitionGroup[] {
  const groups = new Map<number, PartitionGroup>();
  taskIds.forEach((taskId, position) => {
    const partition = partitionOf(taskId);
    let group = groups.get(partition);
    if (!group) groups.set(partition, (group = { partition, taskIds: [], positions: [] }));
    group.taskIds.push(taskId);
    group.positions.push(position);
  });
  return [...groups.values()].sort((a, b) => a.partition - b.partition);
}

/** Puts each group's results (one per id, in the group's order) back in the call's order. */
export function inCallOrder<T>(
  length: number,
  groups: readonly PartitionGroup[],
  results: ReadonlyArray<readonly T[]>,
): T[] {
  const ordered: T[] = [];
  ordered.length = length;
  groups.forEach((group, g) => {
    group.positions.forEach((position, k) => {
      ordered[position] = results[g][k];
    });
  });
  return ordered;
}
