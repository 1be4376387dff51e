import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import { keyPrefixProblem } from '../options/resolve-options.js';
import { resolveRedis } from '../options/resolve-redis-options.js';
import type { RedisConnectionTarget } from '../redis/redis-target.js';
import { partitionCountProblem } from '../wire/partition-of.js';
import { repartitionMessages } from './repartition.messages.js';
import type { RepartitionOptions } from './repartition.options.js';

/** The options of a repartition, validated, with defaults. */
export interface ResolvedRepartitionOptions {
  readonly target: RedisConnectionTarget;
  readonly keyPrefix: string;
  readonly to: number;
  readonly from?: number;
  readonly workerSilenceMs: number;
}

/** By default, a worker seen within 30 s counts as alive (the engine's stale-worker bound at default settings). */
const DEFAULT_WORKER_SILENCE_MS = 30_000;

/**
 * Validates the options of a repartition with the module's own rules (the `redis` option, `keyPrefix`, the
 * partition count); throws one error listing every problem.
 * @throws TaskManagerConfigurationError
 */
export function resolveRepartitionOptions(options: RepartitionOptions): ResolvedRepartitionOptions {
  const problems: string[] = [];
  if (options.redis === undefined || options.redis === null) problems.push(repartitionMessages.missingRedis());
  const { redis, redisCluster } = resolveRedis(options.redis ?? undefined, problems);
  const { keyPrefix, to, from, workerSilenceMs = DEFAULT_WORKER_SILENCE_MS } = options;
  if (keyPrefix === undefined || keyPrefix === '') problems.push(repartitionMessages.missingKeyPrefix());
  else {
    const problem = keyPrefixProblem(keyPrefix);
    if (problem) problems.push(problem);
  }
  const toProblem = partitionCountProblem(to);
  if (toProblem) problems.push(repartitionMessages.toProblem(toProblem));
  const fromProblem = from === undefined ? undefined : partitionCountProblem(from);
  if (fromProblem) problems.push(repartitionMessages.fromProblem(fromProblem));
  if (typeof workerSilenceMs !== 'number' || !Number.isFinite(workerSilenceMs) || workerSilenceMs < 0)
    problems.push(repartitionMessages.workerSilenceProblem(workerSilenceMs));
  if (problems.length > 0) throw new TaskManagerConfigurationError(repartitionMessages.invalidOptions(problems));
  return {
    target: { redis, ...(redisCluster ? { redisCluster } : {}) },
    keyPrefix,
    to,
    ...(from === undefined ? {} : { from }),
    workerSilenceMs,
  };
}
