import type { LoggerService } from '@nestjs/common';
import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
import type { MISFIRE_POLICIES } from '../task-spec/rules.js';

/**
 * A Redis Cluster. With `partitions: 1` (the default) every key of a deployment shares the hash tag
 * `{keyPrefix}`, so the engine's work goes to the one node serving that slot (and moves with it on failover or
 * resharding); with more, each partition's keys have their own tag, spread over the slots.
 */
export interface TaskManagerRedisClusterOptions {
  /**
   * Startup nodes (any masters or replicas of the cluster: the rest is discovered): `{ host, port }`,
   * `'host:port'`, or a port on localhost.
   */
  nodes: ClusterNode[];
  /**
   * ioredis `ClusterOptions`. Per-node connection settings (username, password, tls, ...) go in
   * `redisOptions`. The engine sets `lazyConnect`, `enableOfflineQueue` and `clusterRetryStrategy` itself.
   */
  options?: ClusterOptions;
}

/**
 * How to reach Redis:
 * - a `redis://` / `rediss://` URL;
 * - ioredis options (host, port, username, password, db, tls, ...) optionally with a `url`;
 * - Sentinel, through ioredis options: `{ sentinels: [{ host, port }], name: 'mymaster', sentinelPassword?,
 *   password?, ... }` (the master is looked up again after every reconnection, so a failover is followed);
 * - Redis Cluster: `{ cluster: { nodes: [{ host, port }, ...], options?: ClusterOptions } }`.
 */
export type TaskManagerRedisOptions =
  string | (RedisOptions & { url?: string; cluster?: never }) | { cluster: TaskManagerRedisClusterOptions };

/** What the leader does with slots that passed while no leader was running. */
export type MisfirePolicy = (typeof MISFIRE_POLICIES)[number];

/** Options of `TaskManagerModule.forRoot()` / `forRootAsync()`. Durations are seconds unless the name ends in `Ms`, as in FastAPI Task Manager. */
export interface TaskManagerModuleOptions {
  /**
   * Redis connection. Absent: the in-process driver (one instance, state in memory, no cross-instance
   * guarantees), announced by a startup warning.
   */
  redis?: TaskManagerRedisOptions;
  /**
   * What boot does when Redis does not answer.
   * - Absent (default): boot goes on without it. One warning names the server (`host:port`, never a password)
   *   and the reason; the connection retries with backoff, health reports unhealthy, and the engine starts by
   *   itself as soon as Redis answers.
   * - A number of milliseconds: boot waits up to this long for Redis (retrying), then fails with one
   *   `RedisUnreachableError` naming the server and the reason. `0`: one attempt.
   *
   * Configuration errors found on connecting (Redis too old, a Cluster node configured as a single server)
   * fail boot either way.
   */
  waitForRedisMs?: number;
  /**
   * Namespace of every Redis key of this deployment (wrapped in a `{hash tag}` so all keys live in one
   * Cluster slot; with `partitions` above 1, one tag per partition). Must be set, or derivable from the
   * application name (`appName`, or the `name` of the package.json in the working directory). Instances of one
   * deployment must share it.
   */
  keyPrefix?: string;
  /**
   * How many partitions the deployment's tasks are split over (an integer from 1 to 256): each partition has
   * its own Redis hash tag (its schedule, streams and task states, so on Redis Cluster its own slot, spread
   * over the masters) and its own leader lease. 1 keeps the key layout of earlier versions. Raise it to spread
   * a deployment over several Redis Cluster masters (docs/scaling.md).
   *
   * Every instance of a deployment must use the same value: an instance finding the key prefix used with
   * another partition count refuses to start. Changing it for a deployment that has tasks needs a
   * repartition: stop every instance, run `npx nestjs-task-manager repartition` (or `repartition()` of
   * `nestjs-task-manager/ops`), start every instance with the new value (docs/deployment.md).
   * @default 1
   */
  partitions?: number;
  /** Application name from which `keyPrefix` is derived when it is not given. */
  appName?: string;
  /**
   * Maximum task executions this instance runs at once.
   * @default 2
   */
  concurrentTasks?: number;
  /**
   * Whole seconds after which a task's run history expires (refreshed on each run).
   * @default 432000
   */
  statisticsRedisExpiration?: number;
  /**
   * Runs kept in each task's history.
   * @default 500
   */
  statisticsHistoryRuns?: number;
  /**
   * Whether a task may start while a previous run of it is queued or running (task > group > this).
   * @default true
   */
  allowParallel?: boolean;
  /**
   * FastAPI Task Manager's `poll_interval`, reported by `GET /config`. Our leader does not poll: it sleeps on
   * a local timer until the earliest due slot and wakes on change notices; this value only sets how long it
   * waits before looking again after a Redis error.
   * @default 0.1
   */
  pollInterval?: number;
  /**
   * Name of this service: the consumer group every instance joins, and the prefix of worker ids.
   * @default 'nest-task-manager'
   */
  workerServiceName?: string;
  /**
   * How long a worker's XREADGROUP blocks when no run is queued, in milliseconds. A published run wakes the
   * read at once whatever this is, so it only sets how often an idle worker asks Redis again. FastAPI Task
   * Manager defaults to 1000; ours to 5000, which keeps an idle deployment near 2 Redis commands per second.
   * @default 5000
   */
  streamBlockMs?: number;
  /**
   * Seconds between two renewals of the leader lease; the lease lives 3 times as long.
   * @default 3
   */
  leaderHeartbeatInterval?: number;
  /**
   * Seconds between two attempts of a follower to become leader (followers also try as soon as the
   * current lease expires or is released).
   * @default 5
   */
  leaderRetryInterval?: number;
  /**
   * Whole seconds between two reconciliation passes of the leader (re-adding missing schedule entries,
   * recreating consumer groups, dropping stale workers).
   * @default 30
   */
  reconciliationInterval?: number;
  /**
   * Seconds a scheduled task that no live instance declares any more (a static task removed from the code)
   * keeps its schedule entry, state and history before the leader removes them. While any live instance
   * still declares it (an old version mid-deploy), it is kept.
   * @default 3600
   */
  orphanedTaskGracePeriod?: number;
  /**
   * First backoff delay after a failure, in seconds.
   * @default 1
   */
  retryBackoff?: number;
  /**
   * Largest backoff delay, in seconds.
   * @default 60
   */
  retryBackoffMax?: number;
  /**
   * Factor applied to the backoff delay after each consecutive failure.
   * @default 2
   */
  retryBackoffMultiplier?: number;
  /**
   * Seconds between two renewals of a running task's lease; a lease lives 3 times as long, after
   * which a run of a dead instance is re-executed elsewhere.
   * @default 3
   */
  runningHeartbeatInterval?: number;
  /**
   * Default time zone of cron expressions (IANA name).
   * @default 'UTC'
   */
  timeZone?: string;
  /**
   * Default misfire policy: what the leader does with slots older than `misfireToleranceMs`.
   * @default 'runOnce'
   */
  misfirePolicy?: MisfirePolicy;
  /**
   * A slot this late when the leader sees it counts as missed.
   * @default 5000
   */
  misfireToleranceMs?: number;
  /**
   * Most runs the `runAll` misfire policy publishes for one task at once.
   * @default 10
   */
  misfireMaxRuns?: number;
  /**
   * Most deliveries of one run. A run is delivered again when the worker running it stops renewing its lease
   * (it died, was killed or lost Redis); a run whose handler kills its process would otherwise take every
   * instance down in turn. After this many such deliveries it is recorded as failed (backoff and retries as
   * for any failure) instead of being delivered again.
   * @default 3
   */
  maxDeliveries?: number;
  /**
   * Replicas that must acknowledge each publish of runs and each recorded outcome (Redis WAIT) before the
   * engine goes on. Redis replication is asynchronous: without it, a failover to a replica (Sentinel, a
   * managed service) can lose writes the master had acknowledged: a run published twice or never, an
   * outcome lost. 0 does not wait. See docs/deployment.md.
   * @default 0
   */
  waitForReplicas?: number;
  /**
   * Longest wait for `waitForReplicas`, in milliseconds (the command connection waits meanwhile; keep it well
   * under the leader heartbeat). Fewer acknowledgements are logged; the write stands.
   * @default 500
   */
  waitForReplicasTimeoutMs?: number;
  /**
   * How long shutdown waits for running handlers before aborting them, in milliseconds.
   * @default 10000
   */
  shutdownTimeoutMs?: number;
  /**
   * Start the engine (leader election, consumer) on application bootstrap. Set to false for
   * API-only instances; call `TaskManagerService.start()` to start it later.
   * @default true
   */
  autoStart?: boolean;
  /**
   * Largest kwargs of a dynamic task, in bytes of JSON.
   * @default 65536
   */
  maxKwargsBytes?: number;
  /** Replaces the default `Logger` of the library. */
  logger?: LoggerService;
}
