import type { LoggerService } from '@nestjs/common';
import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
import type { MisfirePolicy } from './task-manager-options.interface.js';

/** A Redis Cluster to connect to (`redis.cluster` of the module options). */
export interface ResolvedRedisCluster {
  /** Startup nodes. */
  readonly nodes: ClusterNode[];
  /** ioredis Cluster options as given (the per-node options are also in `ResolvedTaskManagerOptions.redis`). */
  readonly options: ClusterOptions;
}

/** Module options after defaults and validation: what every component reads. */
export interface ResolvedTaskManagerOptions {
  /**
   * ioredis options of a single server or of Sentinel (a URL is folded in); with `redisCluster`, the options
   * of each node connection (`redis.cluster.options.redisOptions`).
   */
  readonly redis: RedisOptions;
  /**
   * `redis` when a Redis is configured; `memory` when the `redis` option is absent: the in-process driver
   * (one instance, state in memory, no cross-instance guarantees).
   */
  readonly driver: 'redis' | 'memory';
  /** Set when the deployment runs on Redis Cluster. */
  readonly redisCluster?: ResolvedRedisCluster;
  /** The URL given, if any (never logged or exposed: it may carry credentials). */
  readonly redisUrl?: string;
  readonly keyPrefix: string;
  /** The partition count, an integer in 1..256 (1: the layout of earlier versions). */
  readonly partitions: number;
  readonly concurrentTasks: number;
  readonly statisticsRedisExpiration: number;
  readonly statisticsHistoryRuns: number;
  readonly allowParallel: boolean;
  readonly pollInterval: number;
  readonly workerServiceName: string;
  readonly streamBlockMs: number;
  readonly leaderHeartbeatInterval: number;
  readonly leaderRetryInterval: number;
  readonly reconciliationInterval: number;
  readonly orphanedTaskGracePeriod: number;
  readonly retryBackoff: number;
  readonly retryBackoffMax: number;
  readonly retryBackoffMultiplier: number;
  readonly runningHeartbeatInterval: number;
  readonly timeZone: string;
  readonly misfirePolicy: MisfirePolicy;
  readonly misfireToleranceMs: number;
  readonly misfireMaxRuns: number;
  readonly maxDeliveries: number;
  readonly waitForReplicas: number;
  readonly waitForReplicasTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly autoStart: boolean;
  /** How long boot waits for Redis before failing; undefined: boot goes on without it and retries in the background. */
  readonly waitForRedisMs?: number;
  readonly maxKwargsBytes: number;
  readonly logger?: LoggerService;
}
