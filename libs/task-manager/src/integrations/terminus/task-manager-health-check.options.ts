import type { TaskManagerConfig } from '../../options/task-manager-config.js';
import { defaultOverdueToleranceMs, failoverBoundMs } from '../shared/overdue-tasks.js';

/** Options of one `TaskManagerHealthIndicator.isHealthy()` check; every field is optional. */
export interface TaskManagerHealthCheckOptions {
  /**
   * How late an enabled task's slot may be, without having been published, before it is reported overdue.
   * @default max(misfireToleranceMs, 2 × leaderHeartbeatInterval)
   */
  overdueToleranceMs?: number;
  /**
   * Report the indicator down when a task is overdue (otherwise overdue tasks only appear in the details).
   * @default false
   */
  failOnOverdue?: boolean;
  /**
   * How long the deployment may be without a leader before the indicator is down.
   * @default leaderHeartbeatInterval × 3 + 1 s (the failover bound)
   */
  leaderlessToleranceMs?: number;
  /**
   * Longest wait for Redis (the check's two pipelined reads) before the indicator is down.
   * @default 1000
   */
  timeoutMs?: number;
  /**
   * Most overdue tasks listed in the details (`overdue.count` is always the full number).
   * @default 20
   */
  maxOverdueListed?: number;
}

/** Check options with every default applied. */
export type ResolvedHealthCheckOptions = Required<TaskManagerHealthCheckOptions>;

/** Applies the defaults, some derived from the task manager's options (see each field of the options). */
export function resolveHealthCheckOptions(
  moduleOptions: TaskManagerConfig,
  options: TaskManagerHealthCheckOptions,
): ResolvedHealthCheckOptions {
  return {
    overdueToleranceMs: options.overdueToleranceMs ?? defaultOverdueToleranceMs(moduleOptions),
    failOnOverdue: options.failOnOverdue ?? false,
    leaderlessToleranceMs: options.leaderlessToleranceMs ?? failoverBoundMs(moduleOptions),
    timeoutMs: options.timeoutMs ?? 1000,
    maxOverdueListed: options.maxOverdueListed ?? 20,
  };
}
