import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_WORKER_SERVICE_NAME } from '../task-manager.constants.js';
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import { messages } from '../task-manager.messages.js';
import { isValidTimeZone } from '../cron/cron-schedule.js';
import { misfirePolicyRule } from '../task-spec/rules.js';
import { partitionCountProblem } from '../wire/partition-of.js';
import type { ResolvedTaskManagerOptions } from './resolved-options.js';
import { resolveRedis } from './resolve-redis-options.js';
import type { TaskManagerModuleOptions } from './task-manager-options.interface.js';

/** Applies defaults to `options` and validates them; throws one error listing every problem. */
export function resolveOptions(
  options: TaskManagerModuleOptions = {},
  cwd = process.cwd(),
): ResolvedTaskManagerOptions {
  const problems: string[] = [];
  const num = (
    key: keyof TaskManagerModuleOptions,
    fallback: number,
    check: 'positive' | 'int' | 'nonNegative' = 'positive',
  ) => {
    const value = options[key] ?? fallback;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (check === 'nonNegative' ? value >= 0 : value > 0) &&
      (check !== 'int' || Number.isInteger(value));
    if (!ok)
      problems.push(
        `${key} must be a ${check === 'int' ? 'positive integer' : check === 'nonNegative' ? 'number >= 0' : 'positive number'} (got ${JSON.stringify(value)})`,
      );
    return value as number;
  };
  const bool = (key: keyof TaskManagerModuleOptions, fallback: boolean) => {
    const value = options[key] ?? fallback;
    if (typeof value !== 'boolean') problems.push(`${key} must be true or false (got ${JSON.stringify(value)})`);
    return value as boolean;
  };

  const { redis, redisUrl, redisCluster } = resolveRedis(options.redis, problems);
  const keyPrefix = resolveKeyPrefix(options, cwd, problems);
  const timeZone = options.timeZone ?? 'UTC';
  if (typeof timeZone !== 'string' || !isValidTimeZone(timeZone))
    problems.push(`timeZone ${JSON.stringify(timeZone)} is not an IANA time zone`);
  const misfirePolicy = options.misfirePolicy ?? 'runOnce';
  const misfireProblem = misfirePolicyRule(misfirePolicy);
  if (misfireProblem) problems.push(`misfirePolicy ${misfireProblem}`);
  const partitions = options.partitions ?? 1;
  const partitionsProblem = partitionCountProblem(partitions);
  if (partitionsProblem) problems.push(partitionsProblem);
  const workerServiceName = options.workerServiceName ?? DEFAULT_WORKER_SERVICE_NAME;
  if (typeof workerServiceName !== 'string' || !/^[\w.-]{1,100}$/.test(workerServiceName)) {
    problems.push(
      `workerServiceName must be 1-100 letters, digits, "_", "." or "-" (got ${JSON.stringify(workerServiceName)})`,
    );
  }

  const resolved: ResolvedTaskManagerOptions = {
    driver: options.redis === undefined ? 'memory' : 'redis',
    redis,
    redisUrl,
    ...(redisCluster ? { redisCluster } : {}),
    keyPrefix,
    partitions,
    concurrentTasks: num('concurrentTasks', 2, 'int'),
    statisticsRedisExpiration: num('statisticsRedisExpiration', 432_000, 'int'),
    statisticsHistoryRuns: num('statisticsHistoryRuns', 500, 'int'),
    allowParallel: bool('allowParallel', true),
    pollInterval: num('pollInterval', 0.1),
    workerServiceName,
    streamBlockMs: num('streamBlockMs', 5000, 'int'),
    leaderHeartbeatInterval: num('leaderHeartbeatInterval', 3),
    leaderRetryInterval: num('leaderRetryInterval', 5),
    reconciliationInterval: num('reconciliationInterval', 30, 'int'),
    orphanedTaskGracePeriod: num('orphanedTaskGracePeriod', 3600, 'nonNegative'),
    retryBackoff: num('retryBackoff', 1),
    retryBackoffMax: num('retryBackoffMax', 60),
    retryBackoffMultiplier: num('retryBackoffMultiplier', 2),
    runningHeartbeatInterval: num('runningHeartbeatInterval', 3),
    timeZone,
    misfirePolicy,
    misfireToleranceMs: num('misfireToleranceMs', 5000, 'nonNegative'),
    misfireMaxRuns: num('misfireMaxRuns', 10, 'int'),
    maxDeliveries: num('maxDeliveries', 3, 'int'),
    waitForReplicas: num('waitForReplicas', 0, 'nonNegative'),
    waitForReplicasTimeoutMs: num('waitForReplicasTimeoutMs', 500),
    shutdownTimeoutMs: num('shutdownTimeoutMs', 10_000, 'nonNegative'),
    autoStart: bool('autoStart', true),
    waitForRedisMs: options.waitForRedisMs === undefined ? undefined : num('waitForRedisMs', 0, 'nonNegative'),
    maxKwargsBytes: num('maxKwargsBytes', 65_536, 'int'),
    logger: options.logger,
  };
  if (resolved.retryBackoffMax < resolved.retryBackoff)
    problems.push(`retryBackoffMax (${resolved.retryBackoffMax}) must be >= retryBackoff (${resolved.retryBackoff})`);
  if (!Number.isInteger(resolved.waitForReplicas))
    problems.push(`waitForReplicas must be a whole number of replicas (got ${resolved.waitForReplicas})`);
  if (resolved.waitForReplicas > 0 && resolved.waitForReplicasTimeoutMs >= resolved.leaderHeartbeatInterval * 1000)
    problems.push(
      `waitForReplicasTimeoutMs (${resolved.waitForReplicasTimeoutMs}) must be shorter than leaderHeartbeatInterval ` +
        `(${resolved.leaderHeartbeatInterval * 1000} ms): the command connection waits meanwhile`,
    );
  if (resolved.retryBackoffMultiplier < 1)
    problems.push(`retryBackoffMultiplier must be >= 1 (got ${resolved.retryBackoffMultiplier})`);
  if (problems.length > 0) throw new TaskManagerConfigurationError(messages.invalidOptions(problems));
  return resolved;
}

/** `redis` resolved: ioredis options, the URL given if any, and the Cluster to connect to if any. */
function resolveKeyPrefix(options: TaskManagerModuleOptions, cwd: string, problems: string[]): string {
  const prefix = options.keyPrefix ?? options.appName ?? readPackageName(cwd);
  if (prefix === undefined || prefix === '') {
    problems.push(messages.missingKeyPrefix());
    return '';
  }
  const problem = keyPrefixProblem(prefix);
  if (problem) problems.push(problem);
  return prefix;
}

/** What is wrong with a given `keyPrefix`, if anything (the rule of the module option and of `nestjs-task-manager/ops`). */
export function keyPrefixProblem(prefix: unknown): string | undefined {
  return typeof prefix !== 'string' || /[{}\s]/.test(prefix) || prefix.length > 200
    ? `keyPrefix must be a string of at most 200 characters without "{", "}" or whitespace (got ${JSON.stringify(prefix)})`
    : undefined;
}

function readPackageName(cwd: string): string | undefined {
  try {
    const name = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')).name;
    return typeof name === 'string' && name.length > 0 ? name : undefined;
  } catch {
    return undefined;
  }
}
