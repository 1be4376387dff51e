import { Logger, type LoggerService } from '@nestjs/common';
import type {
  BackendLifecycle,
  ChangeNotice,
  DynamicTaskPort,
  CoordinationPort,
  LeadershipPort,
  PartitionPort,
  SchedulePort,
  TaskSetPort,
} from '../engine/coordination.port.js';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import { PartitionedDynamicTasks } from '../engine/partitioned-dynamic-tasks.js';
import { PartitionedSchedule } from '../engine/partitioned-schedule.js';
import { PartitionedTaskSets } from '../engine/partitioned-task-sets.js';
import { MemoryDynamicTasks } from './memory-dynamic-tasks.js';
import { MemoryLeadership } from './memory-leadership.js';
import { MemoryNotices } from './memory-notices.js';
import { MemoryRunQueue } from './memory-run-queue.js';
import { MemorySchedule } from './memory-schedule.js';
import { MemoryStore } from './memory-store.js';
import { MemoryTaskSets } from './memory-task-sets.js';
import { MemoryTaskState } from './memory-task-state.js';
import { MemoryWorkers } from './memory-workers.js';
import { changeNotice } from '../wire/notice.js';
import { partitionOf } from '../wire/partition-of.js';

/** Logged once when an in-process driver connects. */
export const MEMORY_DRIVER_WARNING =
  'No Redis configured: running on the in-process driver (single instance; schedule, state and history ' +
  'live in memory and are lost on exit; no cross-instance guarantees). Configure `redis` to run several instances.';

/**
 * Builds the in-process driver of the coordination port: the same behaviour contract as the Redis driver
 * (fencing, compare-and-set publish, gates, leases with real TTLs, recovery, capped expiring history,
 * backoff and retries, dynamic tasks, notices) for the instances of one process, with no infrastructure.
 *
 * @param options the history bounds (`statisticsHistoryRuns`, `statisticsRedisExpiration`) and the partition
 *   count (`partitions`): 1 builds one partition made of the port's own parts; more split the store
 *   (`MemoryStore.split`) and build per partition a lease, a schedule and task sets on its store, under routing
 *   parts (the top-level lease is partition 0's)
 * @param workerId the origin of the change notices this driver publishes
 * @param logger receives the startup warning
 * @param store the state; pass one store to several drivers to make them behave like instances sharing a
 *   Redis (tests), or `store.clear()` it to simulate a wiped backend
 */
export function createMemoryCoordination(
  options: Pick<ResolvedTaskManagerOptions, 'statisticsHistoryRuns' | 'statisticsRedisExpiration' | 'partitions'>,
  workerId: string,
  logger: LoggerService = new Logger('TaskManager'),
  store: MemoryStore = new MemoryStore(),
): CoordinationPort {
  const notice = (type: ChangeNotice['type']) => (): ChangeNotice => changeNotice(type, workerId);
  const parts = partitioned(store, options.partitions, notice('tasks'));
  const { schedule, leadership, taskSets } = parts;
  const runs = new MemoryRunQueue(store, {
    maxRuns: options.statisticsHistoryRuns,
    ttlMs: options.statisticsRedisExpiration * 1000,
  });
  const notices = new MemoryNotices(store, logger);
  let state: 'new' | 'connected' | 'closed' = 'new';
  const lifecycle: BackendLifecycle = {
    async connect() {
      if (state === 'connected') return;
      if (state === 'new') logger.warn(MEMORY_DRIVER_WARNING);
      state = 'connected';
      await schedule.ensureGroups();
    },
    async close() {
      if (state === 'closed') return;
      state = 'closed';
      runs.interrupt();
      notices.unsubscribeAll();
    },
    isHealthy: () => state === 'connected',
    // One process, one run queue: no other consumer group can exist.
    deploymentProblem: async () => undefined,
  };
  return {
    lifecycle,
    leadership,
    schedule,
    partitions: parts.partitions,
    partitionOf: parts.partitionOf,
    runs,
    state: new MemoryTaskState(store, notice('schedule')),
    notices,
    workers: new MemoryWorkers(store),
    dynamicTasks: parts.dynamicTasks,
    taskSets,
  };
}

/** The parts of the port that depend on the partitions. */
interface PartitionedParts {
  readonly leadership: LeadershipPort;
  readonly schedule: SchedulePort;
  readonly partitions: readonly PartitionPort[];
  readonly partitionOf: (taskId: string) => number;
  readonly taskSets: TaskSetPort;
  readonly dynamicTasks: DynamicTaskPort;
}

/**
 * One partition: today's objects on the store, partition 0 made of the port's own parts. Several: per
 * partition a lease, a schedule and task sets on its store, and the routing parts the port exposes.
 */
function partitioned(store: MemoryStore, partitions: number, tasksNotice: () => ChangeNotice): PartitionedParts {
  const stores = store.split(partitions);
  if (stores.length === 1) {
    const leadership = new MemoryLeadership(store);
    const schedule = new MemorySchedule(store);
    const taskSets = new MemoryTaskSets(store);
    return {
      leadership,
      schedule,
      // One partition: its parts are the port's own.
      partitions: [{ index: 0, leadership, schedule, taskSets }],
      partitionOf: () => 0,
      taskSets,
      dynamicTasks: new MemoryDynamicTasks(store, tasksNotice),
    };
  }
  const of = (taskId: string) => partitionOf(taskId, partitions);
  const taskSets = stores.map((part) => new MemoryTaskSets(part));
  const parts: PartitionPort[] = stores.map((part, index) => ({
    index,
    leadership: new MemoryLeadership(part),
    schedule: new MemorySchedule(part),
    taskSets: taskSets[index],
  }));
  return {
    leadership: parts[0].leadership,
    schedule: new PartitionedSchedule(parts, of),
    partitions: parts,
    partitionOf: of,
    taskSets: new PartitionedTaskSets(taskSets, of),
    dynamicTasks: new PartitionedDynamicTasks(
      stores.map((part) => new MemoryDynamicTasks(part, tasksNotice)),
      of,
    ),
  };
}
