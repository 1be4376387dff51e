import { Logger, type LoggerService } from '@nestjs/common';
import type { CoordinationPort } from '../engine/coordination.port.js';
import { engineSettings } from '../engine/engine-settings.js';
import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import { messages } from '../task-manager.messages.js';
import { CONNECT_ATTEMPT_MS, RedisConnections } from './redis-connections.js';
import { assertSupportedVersion } from './redis-server-info.js';
import { RedisConsumerGroups } from './redis-consumer-groups.js';
import { HeartbeatThread } from './heartbeat-thread.js';
import { ReplicaWait } from './replica-wait.js';
import { RedisNotices } from './redis-notices.js';
import { buildPartitionedParts } from './redis-partitions.js';
import { createRedisRunQueue } from './redis-run-queue-factory.js';
import { RedisScripts } from './redis-scripts.js';
import { RedisWorkerRegistry } from './redis-worker-registry.js';
import { TaskManagerKeys } from './task-manager-keys.js';
import { changeNotice, encodeNotice } from '../wire/notice.js';

/** Name of the heartbeat thread's connection (`CLIENT LIST`), unless the options name every connection. */
const HEARTBEAT_CONNECTION_NAME = 'nest-task-manager:heartbeat';

/**
 * Builds the Redis driver of the coordination port, on `options.partitions` partitions (1: the layout of
 * earlier versions, unchanged).
 */
export function createRedisCoordination(
  options: ResolvedTaskManagerOptions,
  workerId: string,
  logger: LoggerService = new Logger('TaskManager'),
): CoordinationPort {
  const { partitions } = options;
  const keys = new TaskManagerKeys(options.keyPrefix, partitions);
  const { commandTimeoutMs } = engineSettings(options);
  // An attempt never outlasts the boot's whole wait for Redis (waitForRedisMs), so its error names the cause.
  const attemptMs = Math.min(CONNECT_ATTEMPT_MS, Math.max(options.waitForRedisMs || CONNECT_ATTEMPT_MS, 200));
  const connections = new RedisConnections({ ...options, commandTimeoutMs }, logger, keys.leader, attemptMs);
  const client = connections.get('command');
  const scripts = new RedisScripts(client);
  const group = options.workerServiceName;
  const replicaSettings = { replicas: options.waitForReplicas, timeoutMs: options.waitForReplicasTimeoutMs };
  const replicas = new ReplicaWait(client, replicaSettings, keys.leader, logger);
  const groups = new RedisConsumerGroups(client, scripts, keys, group);
  // At connect both run streams are looked at; the check of every reconciliation pass looks at the normal
  // stream only (every deployment's groups are created on both at once; one read less per pass: issue 14).
  // With several partitions, the layout marker is then put (back, after a wipe) on the one-partition normal
  // stream unless another layout's group is there; with one partition, a marker is a foreign group.
  const deploymentProblem = async (streams = groups.streams) => {
    const foreign = await groups.foreign(streams);
    if (foreign.length > 0)
      return messages.foreignConsumerGroups(options.keyPrefix, group, foreign, groups.streams, partitions);
    const layouts = await groups.markLayout();
    return layouts.length === 0
      ? undefined
      : messages.partitionsMismatch(options.keyPrefix, partitions, layouts, [keys.streamHigh, keys.streamNormal]);
  };
  const notice = () => encodeNotice(changeNotice('schedule', workerId));
  const tasksNotice = () => encodeNotice(changeNotice('tasks', workerId));
  const parts = buildPartitionedParts({
    client,
    scripts,
    keys,
    group,
    replicas,
    replicaSettings,
    logger,
    notice,
    tasksNotice,
  });
  const { schedule } = parts;
  const workers = new RedisWorkerRegistry(client, scripts, keys);
  return {
    lifecycle: {
      async connect() {
        const { version } = await connections.connect();
        assertSupportedVersion(version);
        // Checked before our groups are created (the layout marker, if any, at once with its check), so that a
        // refused instance leaves no group behind.
        const problem = await deploymentProblem();
        if (problem) throw new TaskManagerConfigurationError(problem);
        await schedule.ensureGroups();
      },
      close: () => connections.close(),
      isHealthy: () => connections.isHealthy(),
      deploymentProblem: () => deploymentProblem(groups.streams.slice(-1)),
    },
    leadership: parts.leadership,
    schedule,
    partitions: parts.partitions,
    partitionOf: parts.partitionOf,
    runs: createRedisRunQueue({
      connections,
      scripts,
      keys,
      group,
      history: {
        maxRuns: options.statisticsHistoryRuns,
        ttlSeconds: Math.ceil(options.statisticsRedisExpiration),
      },
      ensureGroups: (index) => parts.partitions[index].schedule.ensureGroups(),
      // WAIT on the node of the partition that recorded.
      replicas: (index) =>
        keys.partitions === 1
          ? replicas
          : new ReplicaWait(client, replicaSettings, keys.partition(index).leader, logger),
      announce: (worker) => workers.announce(worker),
    }),
    state: parts.state,
    notices: new RedisNotices(connections, keys),
    workers,
    dynamicTasks: parts.dynamicTasks,
    taskSets: parts.taskSets,
    heartbeatThread: ({ intervalMs, leaseTtlMs, leaderCovers }) =>
      HeartbeatThread.create(
        {
          target: {
            redis: { ...options.redis, connectionName: options.redis.connectionName ?? HEARTBEAT_CONNECTION_NAME },
            redisCluster: options.redisCluster,
            commandTimeoutMs,
          },
          keyPrefix: options.keyPrefix,
          partitions,
          group,
          intervalMs,
          leaseTtlMs,
          leaderCovers: leaderCovers === true,
        },
        logger,
      ),
  };
}
