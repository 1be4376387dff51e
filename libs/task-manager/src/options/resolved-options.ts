import type { LoggerService } from '@nestjs/common';
import type { RedisOptions } from 'ioredis';
import type { MisfirePolicy } from './task-manager-options.interface.js';

/** Module options after defaults and validation: what every component reads. */
export interface ResolvedTaskManagerOptions {
  /** ioredis options (a URL is folded in). */
  readonly redis: RedisOptions;
  /** The URL given, if any (never logged or exposed: it may carry credentials). */
  readonly redisUrl?: string;
  readonly keyPrefix: string;
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
  readonly retryBackoff: number;
  readonly retryBackoffMax: number;
  readonly retryBackoffMultiplier: number;
  readonly runningHeartbeatInterval: number;
  readonly timeZone: string;
  readonly misfirePolicy: MisfirePolicy;
  readonly misfireToleranceMs: number;
  readonly misfireMaxRuns: number;
  readonly shutdownTimeoutMs: number;
  readonly autoStart: boolean;
  readonly maxKwargsBytes: number;
  readonly logger?: LoggerService;
}
