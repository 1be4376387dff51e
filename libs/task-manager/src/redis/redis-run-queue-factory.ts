import type { RunQueuePort, WorkerDescription } from '../engine/coordination.port.js';
import { RedisCompletions } from './redis-completions.js';
import type { RedisConnections } from './redis-connections.js';
import { RedisPartitionReader } from './redis-partition-reader.js';
import { RedisPartitionRuns } from './redis-partition-runs.js';
import { RedisPartitionedRunQueue } from './redis-partitioned-run-queue.js';
import { RedisRunQueue } from './redis-run-queue.js';
import type { RedisScripts } from './redis-scripts.js';
import type { ReplicaWait } from './replica-wait.js';
import type { TaskManagerKeys } from './task-manager-keys.js';

/** What a worker's run queue is built from (main thread and heartbeat thread). */
export interface RunQueueContext {
  readonly connections: RedisConnections;
  readonly scripts: RedisScripts;
  /** The deployment's keys (`keys.partitions` partitions). */
  readonly keys: TaskManagerKeys;
  readonly group: string;
  readonly history: { maxRuns: number; ttlSeconds: number };
  /** Creates partition `index`'s consumer groups (after NOGROUP). */
  readonly ensureGroups: (index: number) => Promise<void>;
  /** Waits for the replicas of partition `index`'s node after recorded outcomes (option `waitForReplicas`). */
  readonly replicas?: (index: number) => ReplicaWait;
  /** Refreshes the worker's registry entry with its description (touch-worker); resolves to the server time. */
  readonly announce: (worker: WorkerDescription) => Promise<number>;
}

/**
 * The run queue of one worker: with one partition today's `RedisRunQueue` on the deployment's keys (and its
 * `blocking` connection); with several, `RedisPartitionedRunQueue` over each partition's streams, with a
 * blocking connection (`blocking:<index>`) and batched completions per partition.
 */
export function createRedisRunQueue(context: RunQueueContext): RunQueuePort {
  const { connections, scripts, keys, group, history } = context;
  if (keys.partitions === 1) {
    return new RedisRunQueue(
      connections,
      scripts,
      keys,
      group,
      history,
      () => context.ensureGroups(0),
      context.replicas?.(0),
    );
  }
  const partitions = Array.from({ length: keys.partitions }, (_, index) => {
    const partitionKeys = keys.partition(index);
    const part = new RedisPartitionRuns(scripts, partitionKeys, group, index);
    return {
      reader: new RedisPartitionReader(connections, part, index, () => context.ensureGroups(index)),
      completions: new RedisCompletions(scripts, partitionKeys, group, history, context.replicas?.(index)),
    };
  });
  return new RedisPartitionedRunQueue(partitions, (taskId) => keys.partitionOf(taskId), context.announce);
}
