/** Maps health, workers and options to `HealthResponse`, `WorkerResponse` and `ConfigResponse`. */
import type { WorkerInfo } from '../../engine/coordination.port.js';
import type { TaskManagerConfig } from '../../options/task-manager-config.js';
import type { TaskManagerHealth } from '../../task-manager.service.js';
import type { ConfigResponse, HealthResponse, WorkerResponse } from '../dto/system.responses.js';
import { isoTime } from './time.js';

/** `HealthResponse` of this instance. */
export function toHealth(health: TaskManagerHealth): HealthResponse {
  return {
    status: health.status,
    driver: health.driver,
    redis_connected: health.redisConnected,
    worker_id: health.workerId,
    worker_started_at: isoTime(health.workerStartedAt.getTime()),
    is_leader: health.isLeader,
  };
}

/** `WorkerResponse` of one live instance. */
export function toWorker(worker: WorkerInfo): WorkerResponse {
  return {
    worker_id: worker.id,
    host: worker.host,
    pid: worker.pid,
    started_at: isoTime(worker.startedAt),
    last_seen: isoTime(worker.lastSeen),
    is_leader: worker.isLeader,
    running: worker.running,
  };
}

/**
 * `ConfigResponse`: an explicit allow-list of operational settings. Connection secrets (password,
 * username, URL, TLS material, Sentinel credentials) are never read here, so they can never leak.
 */
export function toConfig(options: TaskManagerConfig): ConfigResponse {
  const { redis } = options;
  const routed = Boolean(redis.sentinels?.length) || Boolean(redis.path) || options.redisCluster !== undefined;
  return {
    redis_key_prefix: options.keyPrefix,
    concurrent_tasks: options.concurrentTasks,
    statistics_redis_expiration: options.statisticsRedisExpiration,
    statistics_history_runs: options.statisticsHistoryRuns,
    allow_parallel: options.allowParallel,
    redis_host: routed ? null : (redis.host ?? 'localhost'),
    redis_port: routed ? null : (redis.port ?? 6379),
    redis_db: redis.db ?? 0,
    poll_interval: options.pollInterval,
    worker_service_name: options.workerServiceName,
    stream_block_ms: options.streamBlockMs,
    leader_heartbeat_interval: options.leaderHeartbeatInterval,
    leader_retry_interval: options.leaderRetryInterval,
    reconciliation_interval: options.reconciliationInterval,
    retry_backoff: options.retryBackoff,
    retry_backoff_max: options.retryBackoffMax,
    retry_backoff_multiplier: options.retryBackoffMultiplier,
    running_heartbeat_interval: options.runningHeartbeatInterval,
    time_zone: options.timeZone,
    misfire_policy: options.misfirePolicy,
    misfire_tolerance_ms: options.misfireToleranceMs,
    misfire_max_runs: options.misfireMaxRuns,
    shutdown_timeout_ms: options.shutdownTimeoutMs,
    orphaned_task_grace_period: options.orphanedTaskGracePeriod,
    max_deliveries: options.maxDeliveries,
    wait_for_replicas: options.waitForReplicas,
    wait_for_replicas_timeout_ms: options.waitForReplicasTimeoutMs,
    max_kwargs_bytes: options.maxKwargsBytes,
    auto_start: options.autoStart,
    partitions: options.partitions,
  };
}
