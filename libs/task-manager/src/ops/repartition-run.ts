import type { RedisClient } from '../redis/redis-client.js';
import type { RedisScripts } from '../redis/redis-scripts.js';
import type { PartitionKeys, TaskManagerKeys } from '../redis/task-manager-keys.js';
import type { RepartitionLock } from './repartition-lock.js';
import type { RepartitionInternals } from './repartition.options.js';

/** What a repartition counts as it goes (the summary's numbers). */
export interface RepartitionCounts {
  tasksMoved: number;
  tasksKept: number;
  oneOffRunsMoved: number;
  runsConverted: number;
  dropped: number;
  keysDeleted: number;
}

/**
 * One repartition under way: the connection, both layouts' keys, the marker it runs under, and the step
 * counter every change written goes through (the lock is checked after each; the test hook may interrupt).
 */
export class RepartitionRun {
  readonly counts: RepartitionCounts = {
    tasksMoved: 0,
    tasksKept: 0,
    oneOffRunsMoved: 0,
    runsConverted: 0,
    dropped: 0,
    keysDeleted: 0,
  };
  private steps = 0;
  private readonly newTags: ReadonlySet<string>;

  constructor(
    readonly client: RedisClient,
    readonly scripts: RedisScripts,
    /** The keys of the layout moved from. */
    readonly before: TaskManagerKeys,
    /** The keys of the layout moved to. */
    readonly after: TaskManagerKeys,
    /** The repartition's marker group (`wire/layout-marker.ts`), on `before.layoutMarkerStream`. */
    readonly marker: string,
    private readonly lock: RepartitionLock,
    readonly progress: (line: string) => void,
    private readonly internals: RepartitionInternals = {},
  ) {
    this.newTags = new Set(partitionsOf(after).map((keys) => keys.tag));
  }

  /** Whether partition `keys` of the former layout is also a partition of the new one (same tag, same keys). */
  kept(keys: PartitionKeys): boolean {
    return this.newTags.has(keys.tag);
  }

  /** The new partition of a task (by encoded id). */
  destination(taskId: string): PartitionKeys {
    return this.after.partition(this.after.partitionOf(taskId));
  }

  /** Counts one change written (`label` names it for the test hook), then checks that the lock is still held. */
  async step(label: string): Promise<void> {
    this.steps += 1;
    await this.internals.afterStep?.(this.steps, label);
    this.lock.assertHeld();
  }
}

/** Every partition's keys of a layout, in order. */
export function partitionsOf(keys: TaskManagerKeys): PartitionKeys[] {
  return Array.from({ length: keys.partitions }, (_, i) => keys.partition(i));
}
