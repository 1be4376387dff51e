import type { LoggerService } from '@nestjs/common';
import type {
  DynamicTaskPort,
  LeadershipPort,
  PartitionPort,
  SchedulePort,
  TaskSetPort,
  TaskStatePort,
} from '../engine/coordination.port.js';
import { PartitionedDynamicTasks } from '../engine/partitioned-dynamic-tasks.js';
import { PartitionedSchedule } from '../engine/partitioned-schedule.js';
import { PartitionedTaskSets } from '../engine/partitioned-task-sets.js';
import type { RedisClient } from './redis-client.js';
import { RedisDynamicTasks } from './redis-dynamic-tasks.js';
import { RedisLeadership } from './redis-leadership.js';
import { RedisPartitionedState } from './redis-partitioned-state.js';
import { RedisSchedule } from './redis-schedule.js';
import type { RedisScripts } from './redis-scripts.js';
import { RedisTaskSets } from './redis-task-sets.js';
import { RedisTaskState } from './redis-task-state.js';
import { ReplicaWait, type ReplicaWaitSettings } from './replica-wait.js';
import type { TaskManagerKeys } from './task-manager-keys.js';

/** What the parts of the port that depend on the partitions are built from. */
export interface PartitionedPartsContext {
  readonly client: RedisClient;
  readonly scripts: RedisScripts;
  /** The deployment's keys (`keys.partitions` partitions). */
  readonly keys: TaskManagerKeys;
  readonly group: string;
  /** Waits for replicas after a publish of the deployment's one partition. */
  readonly replicas: ReplicaWait;
  readonly replicaSettings: ReplicaWaitSettings;
  readonly logger: LoggerService;
  /** The change notices of a schedule or state change and of a dynamic task change. */
  readonly notice: () => string;
  readonly tasksNotice: () => string;
}

/** The parts of the port that depend on the partitions. */
export interface PartitionedParts {
  readonly leadership: LeadershipPort;
  readonly schedule: SchedulePort;
  readonly partitions: readonly PartitionPort[];
  readonly partitionOf: (taskId: string) => number;
  readonly taskSets: TaskSetPort;
  readonly state: TaskStatePort;
  readonly dynamicTasks: DynamicTaskPort;
}

/**
 * Builds the Redis driver's lease, schedule, task sets, task state and dynamic task parts. One partition:
 * today's objects on the deployment's keys, partition 0 made of the port's own parts. Several: per
 * partition a lease, a schedule and task sets on its keys, and the routing facades the port exposes (the
 * top-level lease is partition 0's).
 */
export function buildPartitionedParts(context: PartitionedPartsContext): PartitionedParts {
  const { client, scripts, keys, group, notice, tasksNotice } = context;
  if (keys.partitions === 1) {
    const leadership = new RedisLeadership(client, scripts, keys, keys.workers);
    const schedule = new RedisSchedule(client, scripts, keys, group, context.replicas);
    const taskSets = new RedisTaskSets(scripts, keys, { key: keys.workers });
    return {
      leadership,
      schedule,
      // One partition, on today's keys: its parts are the port's own.
      partitions: [{ index: 0, leadership, schedule, taskSets }],
      partitionOf: () => 0,
      taskSets,
      state: new RedisTaskState(client, scripts, keys, keys.events, notice),
      dynamicTasks: new RedisDynamicTasks(client, scripts, keys, keys.events, tasksNotice),
    };
  }
  const partitionOf = (taskId: string) => keys.partitionOf(taskId);
  const partitionKeys = Array.from({ length: keys.partitions }, (_, i) => keys.partition(i));
  const live = (owners: string) => ({
    read: () => client.zrange(keys.workers, 0, -1),
    owners: () => client.hkeys(owners),
  });
  const taskSets = partitionKeys.map((p) => new RedisTaskSets(scripts, p, live(p.workerTaskSets)));
  const partitions: PartitionPort[] = partitionKeys.map((p, index) => ({
    index,
    leadership: new RedisLeadership(client, scripts, p),
    schedule: new RedisSchedule(
      client,
      scripts,
      p,
      group,
      // WAIT on the node of the partition that wrote.
      new ReplicaWait(client, context.replicaSettings, p.leader, context.logger),
    ),
    taskSets: taskSets[index],
  }));
  return {
    leadership: partitions[0].leadership,
    schedule: new PartitionedSchedule(partitions, partitionOf),
    partitions,
    partitionOf,
    taskSets: new PartitionedTaskSets(taskSets, partitionOf),
    state: new RedisPartitionedState(
      client,
      partitionKeys.map((p) => new RedisTaskState(client, scripts, p, keys.events, undefined)),
      partitionOf,
      keys.events,
      notice,
    ),
    dynamicTasks: new PartitionedDynamicTasks(
      partitionKeys.map((p) => new RedisDynamicTasks(client, scripts, p, keys.events, tasksNotice)),
      partitionOf,
    ),
  };
}
