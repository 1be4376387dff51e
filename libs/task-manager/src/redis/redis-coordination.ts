import { Logger, type LoggerService } from '@nestjs/common';
import type { CoordinationPort } from '../engine/coordination.port.js';
import { engineSettings } from '../engine/engine-settings.js';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import { MIN_REDIS_VERSION } from '../task-manager.constants.js';
import { messages } from '../task-manager.messages.js';
import { CONNECT_ATTEMPT_MS, RedisConnections } from './redis-connections.js';
import { compareVersions } from './redis-server-info.js';
import { RedisConsumerGroups } from './redis-consumer-groups.js';
import { RedisDynamicTasks } from './redis-dynamic-tasks.js';
import { HeartbeatThread } from './heartbeat-thread.js';
import { ReplicaWait } from './replica-wait.js';
import { RedisLeadership } from './redis-leadership.js';
import { RedisNotices } from './redis-notices.js';
import { RedisRunQueue } from './redis-run-queue.js';
import { RedisSchedule } from './redis-schedule.js';
import { RedisScripts } from './redis-scripts.js';
import { RedisTaskSets } from './redis-task-sets.js';
import { RedisTaskState } from './redis-task-state.js';
import { RedisWorkerRegistry } from './redis-worker-registry.js';
import { TaskManagerKeys } from './task-manager-keys.js';
import { changeNotice, encodeNotice } from '../wire/notice.js';

/** Name of the heartbeat thread's connection (`CLIENT LIST`), unless the options name every connection. */
const HEARTBEAT_CONNECTION_NAME = 'nest-task-manager:heartbeat';

/** Builds the Redis driver of the coordination port. */
export function createRedisCoordination(
  options: ResolvedTaskManagerOptions,
  workerId: string,
  logger: LoggerService = new Logger('TaskManager'),
): CoordinationPort {
  const keys = new TaskManagerKeys(options.keyPrefix);
  const { commandTimeoutMs } = engineSettings(options);
  // An attempt never outlasts the boot's whole wait for Redis (waitForRedisMs), so its error names the cause.
  const attemptMs = Math.min(CONNECT_ATTEMPT_MS, Math.max(options.waitForRedisMs || CONNECT_ATTEMPT_MS, 200));
  const connections = new RedisConnections({ ...options, commandTimeoutMs }, logger, keys.leader, attemptMs);
  const client = connections.get('command');
  const scripts = new RedisScripts(client);
  const group = options.workerServiceName;
  const replicas = new ReplicaWait(
    client,
    { replicas: options.waitForReplicas, timeoutMs: options.waitForReplicasTimeoutMs },
    keys.leader,
    logger,
  );
  const schedule = new RedisSchedule(client, scripts, keys, group, replicas);
  const leadership = new RedisLeadership(scripts, keys);
  const taskSets = new RedisTaskSets(scripts, keys);
  const groups = new RedisConsumerGroups(client, keys, group);
  // At connect both run streams are looked at; the check of every reconciliation pass looks at the normal
  // stream only (every deployment's groups are created on both at once; one read less per pass: issue 14).
  const deploymentProblem = async (streams = groups.streams) => {
    const foreign = await groups.foreign(streams);
    return foreign.length === 0
      ? undefined
      : messages.foreignConsumerGroups(options.keyPrefix, group, foreign, groups.streams);
  };
  const notice = () => encodeNotice(changeNotice('schedule', workerId));
  const tasksNotice = () => encodeNotice(changeNotice('tasks', workerId));
  return {
    lifecycle: {
      async connect() {
        const { version } = await connections.connect();
        if (compareVersions(version, MIN_REDIS_VERSION) < 0) {
          throw new TaskManagerConfigurationError(messages.redisTooOld(version, MIN_REDIS_VERSION));
        }
        // Checked before our group is created, so that a refused instance leaves no group behind.
        const problem = await deploymentProblem();
        if (problem) throw new TaskManagerConfigurationError(problem);
        await schedule.ensureGroups();
      },
      close: () => connections.close(),
      isHealthy: () => connections.isHealthy(),
      deploymentProblem: () => deploymentProblem([keys.streamNormal]),
    },
    leadership,
    schedule,
    // One partition, on today's keys: its parts are the port's own.
    partitions: [{ index: 0, leadership, schedule, taskSets }],
    partitionOf: () => 0,
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
      replicas,
    ),
    state: new RedisTaskState(client, scripts, keys, notice),
    notices: new RedisNotices(connections, keys),
    workers: new RedisWorkerRegistry(client, scripts, keys),
    dynamicTasks: new RedisDynamicTasks(client, scripts, keys, tasksNotice),
    taskSets,
    heartbeatThread: ({ intervalMs, leaseTtlMs, leaderCovers }) =>
      HeartbeatThread.create(
        {
          target: {
            redis: { ...options.redis, connectionName: options.redis.connectionName ?? HEARTBEAT_CONNECTION_NAME },
            redisCluster: options.redisCluster,
            commandTimeoutMs,
          },
          keyPrefix: options.keyPrefix,
          group,
          intervalMs,
          leaseTtlMs,
          leaderCovers: leaderCovers === true,
        },
        logger,
      ),
  };
}
