import { Logger, type LoggerService } from '@nestjs/common';
import type { CoordinationPort } from '../engine/coordination.port.js';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import { MIN_REDIS_VERSION } from '../task-manager.constants.js';
import { messages } from '../task-manager.messages.js';
import { RedisConnections, compareVersions } from './redis-connections.js';
import { RedisDynamicTasks } from './redis-dynamic-tasks.js';
import { RedisLeadership } from './redis-leadership.js';
import { RedisNotices } from './redis-notices.js';
import { RedisRunQueue } from './redis-run-queue.js';
import { RedisSchedule } from './redis-schedule.js';
import { RedisScripts } from './redis-scripts.js';
import { RedisTaskState } from './redis-task-state.js';
import { RedisWorkerRegistry } from './redis-worker-registry.js';
import { TaskManagerKeys } from './task-manager-keys.js';

/** Builds the Redis driver of the coordination port. */
export function createRedisCoordination(
  options: ResolvedTaskManagerOptions,
  workerId: string,
  logger: LoggerService = new Logger('TaskManager'),
): CoordinationPort {
  const keys = new TaskManagerKeys(options.keyPrefix);
  const connections = new RedisConnections(options, logger, keys.leader);
  const client = connections.get('command');
  const scripts = new RedisScripts(client);
  const group = options.workerServiceName;
  const schedule = new RedisSchedule(client, scripts, keys, group);
  const notice = () => JSON.stringify({ type: 'schedule', origin: workerId });
  const tasksNotice = () => JSON.stringify({ type: 'tasks', origin: workerId });
  return {
    lifecycle: {
      async connect() {
        const { version } = await connections.connect();
        if (compareVersions(version, MIN_REDIS_VERSION) < 0) {
          throw new TaskManagerConfigurationError(messages.redisTooOld(version, MIN_REDIS_VERSION));
        }
        await schedule.ensureGroups();
      },
      close: () => connections.close(),
      isHealthy: () => connections.isHealthy(),
    },
    leadership: new RedisLeadership(scripts, keys),
    schedule,
    runs: new RedisRunQueue(
      connections,
      scripts,
      keys,
      group,
      {
        maxRuns: options.statisticsHistoryRuns,
        ttlSeconds: Math.ceil(options.statisticsRedisExpiration),
      },
      () => schedule.ensureGroups(),
    ),
    state: new RedisTaskState(client, scripts, keys, notice),
    notices: new RedisNotices(connections, keys),
    workers: new RedisWorkerRegistry(client, keys),
    dynamicTasks: new RedisDynamicTasks(client, scripts, keys, tasksNotice),
  };
}
