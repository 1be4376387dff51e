import { Logger, type LoggerService } from '@nestjs/common';
import type { BackendLifecycle, ChangeNotice, CoordinationPort } from '../engine/coordination.port.js';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
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

/** Logged once when an in-process driver connects. */
export const MEMORY_DRIVER_WARNING =
  'No Redis configured: running on the in-process driver (single instance; schedule, state and history ' +
  'live in memory and are lost on exit; no cross-instance guarantees). Configure `redis` to run several instances.';

/**
 * Builds the in-process driver of the coordination port: the same behaviour contract as the Redis driver
 * (fencing, compare-and-set publish, gates, leases with real TTLs, recovery, capped expiring history,
 * backoff and retries, dynamic tasks, notices) for the instances of one process, with no infrastructure.
 *
 * @param options only the history bounds are read (`statisticsHistoryRuns`, `statisticsRedisExpiration`)
 * @param workerId the origin of the change notices this driver publishes
 * @param logger receives the startup warning
 * @param store the state; pass one store to several drivers to make them behave like instances sharing a
 *   Redis (tests), or `store.clear()` it to simulate a wiped backend
 */
export function createMemoryCoordination(
  options: Pick<ResolvedTaskManagerOptions, 'statisticsHistoryRuns' | 'statisticsRedisExpiration'>,
  workerId: string,
  logger: LoggerService = new Logger('TaskManager'),
  store: MemoryStore = new MemoryStore(),
): CoordinationPort {
  const notice = (type: ChangeNotice['type']) => (): ChangeNotice => changeNotice(type, workerId);
  const schedule = new MemorySchedule(store);
  const runs = new MemoryRunQueue(store, {
    maxRuns: options.statisticsHistoryRuns,
    ttlMs: options.statisticsRedisExpiration * 1000,
  });
  const notices = new MemoryNotices(store, logger);
  const leadership = new MemoryLeadership(store);
  const taskSets = new MemoryTaskSets(store);
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
    // One partition: its parts are the port's own.
    partitions: [{ index: 0, leadership, schedule, taskSets }],
    partitionOf: () => 0,
    runs,
    state: new MemoryTaskState(store, notice('schedule')),
    notices,
    workers: new MemoryWorkers(store),
    dynamicTasks: new MemoryDynamicTasks(store, notice('tasks')),
    taskSets,
  };
}
