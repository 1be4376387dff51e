import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { WorkerInfo } from '../../engine/coordination.port.js';
import { withDeadline } from '../../engine/with-timeout.js';
import { TaskManagerService, type PartitionLeaderInfo, type TaskView } from '../../task-manager.service.js';
import { integrationMessages as messages } from '../shared/integrations.messages.js';
import { findOverdueTasks } from '../shared/overdue-tasks.js';
import { LeaderWatch, leaderlessTooLong, PartitionLeaderWatch } from './leader-watch.js';
import {
  resolveHealthCheckOptions,
  type ResolvedHealthCheckOptions,
  type TaskManagerHealthCheckOptions,
} from './task-manager-health-check.options.js';

/** What the indicator reports under its key, besides `status`. */
export type TaskManagerHealthDetails = {
  /** This instance's worker id. */
  worker_id: string;
  /** The coordination backend: `redis`, or `memory` (the in-process driver). */
  driver: 'redis' | 'memory';
  /** Whether this instance reached Redis (false too when the check's reads failed; always false in memory). */
  redis_connected: boolean;
  /** Whether this instance's engine runs (false before `start()` with `autoStart: false`, and while stopping). */
  running: boolean;
  /** Whether this instance is the leader. */
  is_leader: boolean;
  /** Worker id of the deployment's leader, or null when there is none (or Redis is unreachable). */
  leader: string | null;
  /**
   * How long checks have found no leader, in milliseconds (0 while there is one). With several partitions:
   * the longest time a partition leaderless now has been found without one.
   */
  leaderless_ms: number;
  /**
   * Several partitions only (absent with one): the partitions whose leader lease nobody holds, by index (null
   * when Redis is unreachable).
   */
  leaderless_partitions?: number[] | null;
  /** Live instances of the deployment (null when Redis is unreachable). */
  workers: { count: number; ids: string[] } | null;
  /** Enabled tasks whose slot passed without a run (null when Redis is unreachable). */
  overdue: {
    count: number;
    tolerance_ms: number;
    tasks: Array<{ group: string; task: string; next_run: string; late_ms: number }>;
  } | null;
  /** Why the indicator is down (absent when up). */
  message?: string;
};

/** Marks a read that did not finish in time. */
const TIMED_OUT = Symbol('timed out');

/** What one check reads of the deployment; `leaders` (each partition's) only with several partitions. */
interface DeploymentRead {
  workers: WorkerInfo[];
  views: TaskView[];
  leaders?: Array<PartitionLeaderInfo | null>;
}

/**
 * A @nestjs/terminus health indicator for the task manager. Down when Redis is unreachable, when the
 * deployment (with several partitions: any partition) has had no leader for longer than the failover bound,
 * or while this instance shuts down; details name the leader, the workers, the leaderless partitions and the
 * overdue tasks (a slot passed without a run: the "cron silently stopped" failure). One check costs two
 * pipelined Redis round trips, issued together; with several partitions, also one GET per partition's lease.
 *
 * Provide it next to `TerminusModule` (TaskManagerModule is global by default):
 * ```ts
 * @Module({ imports: [TerminusModule], controllers: [HealthController], providers: [TaskManagerHealthIndicator] })
 * // in HealthController:
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.taskManager.isHealthy('task-manager')]); }
 * ```
 */
@Injectable()
export class TaskManagerHealthIndicator implements BeforeApplicationShutdown {
  private readonly leaderWatch = new LeaderWatch();
  private readonly partitionWatch = new PartitionLeaderWatch();
  private shuttingDown = false;
  private engineSeenRunning = false;

  constructor(
    private readonly healthIndicators: HealthIndicatorService,
    private readonly taskManager: TaskManagerService,
  ) {}

  /** From now on the indicator is down: the application is closing. */
  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }

  /**
   * Checks the task manager and reports under `key`.
   * @param options tolerances of this check (see {@link TaskManagerHealthCheckOptions} for the defaults)
   */
  async isHealthy<const Key extends string>(
    key: Key,
    options: TaskManagerHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const session = this.healthIndicators.check(key);
    const config = this.taskManager.config();
    const settings = resolveHealthCheckOptions(config, options);
    const partitioned = config.partitions > 1;
    const health = this.taskManager.health();
    if (health.running) this.engineSeenRunning = true;
    const problems: string[] = [];
    // Not running although it ran, or although it starts on bootstrap: the engine is stopping.
    const stopped = !health.running && (this.engineSeenRunning || config.autoStart);
    if (this.shuttingDown || stopped) problems.push(messages.shuttingDown());
    if (health.problem) problems.push(health.problem);

    const details: TaskManagerHealthDetails = {
      worker_id: health.workerId,
      driver: health.driver,
      redis_connected: health.redisConnected,
      running: health.running,
      is_leader: health.isLeader,
      leader: health.isLeader ? health.workerId : null,
      leaderless_ms: 0,
      ...(partitioned ? { leaderless_partitions: null } : {}),
      workers: null,
      overdue: null,
    };
    if (!health.backendConnected) {
      problems.push(messages.redisDisconnected());
    } else {
      const read = await this.readDeployment(settings.timeoutMs, partitioned);
      if (typeof read === 'string') {
        details.redis_connected = false;
        problems.push(read);
      } else {
        this.describeDeployment(details, read, settings, problems);
      }
    }
    return problems.length === 0 ? session.up(details) : session.down({ ...details, message: problems.join('; ') });
  }

  /** Fills the deployment's part of the details and adds its problems. */
  private describeDeployment(
    details: TaskManagerHealthDetails,
    { workers, views, leaders }: DeploymentRead,
    settings: ResolvedHealthCheckOptions,
    problems: string[],
  ): void {
    details.leader = workers.find((w) => w.isLeader)?.id ?? details.leader;
    const tolerance = settings.leaderlessToleranceMs;
    // (Durations seen here: the local clock.)
    if (leaders) {
      const leaderless = this.partitionWatch.observe(
        leaders.map((leader) => leader !== null),
        Date.now(),
      );
      details.leaderless_partitions = leaderless.map((p) => p.partition);
      details.leaderless_ms = Math.max(0, ...leaderless.map((p) => p.leaderlessMs));
      const tooLong = leaderless.filter((p) => leaderlessTooLong(p.leaderlessMs, tolerance));
      if (tooLong.length > 0) {
        const partitions = tooLong.map((p) => p.partition);
        problems.push(messages.leaderlessPartitions(partitions, details.leaderless_ms, tolerance));
      }
    } else {
      details.leaderless_ms = this.leaderWatch.observe(details.leader !== null, Date.now());
      if (leaderlessTooLong(details.leaderless_ms, tolerance)) {
        problems.push(messages.leaderless(details.leaderless_ms, tolerance));
      }
    }
    details.workers = { count: workers.length, ids: workers.map((w) => w.id) };
    // Next runs are cluster times: compared with the cluster's clock, not this host's (it may be skewed).
    const overdue = findOverdueTasks(views, this.taskManager.clusterNow(), settings.overdueToleranceMs);
    details.overdue = {
      count: overdue.length,
      tolerance_ms: settings.overdueToleranceMs,
      tasks: overdue.slice(0, settings.maxOverdueListed).map((t) => ({
        group: t.groupName,
        task: t.taskName,
        next_run: new Date(t.nextRun).toISOString(),
        late_ms: t.lateMs,
      })),
    };
    if (settings.failOnOverdue && overdue.length > 0) {
      problems.push(messages.overdue(overdue.length, settings.overdueToleranceMs));
    }
  }

  /**
   * The workers and the task states, read in two pipelined round trips, and with `partitioned` each
   * partition's leader (one read each), all issued together; a message when Redis fails.
   */
  private async readDeployment(timeoutMs: number, partitioned: boolean): Promise<DeploymentRead | string> {
    try {
      const [workers, views, leaders] = await withDeadline(
        Promise.all([
          this.taskManager.workers(),
          this.taskManager.getTasks(),
          partitioned ? this.taskManager.partitionLeaders() : undefined,
        ]),
        timeoutMs,
        () => TIMED_OUT,
      );
      return { workers, views, ...(leaders ? { leaders } : {}) };
    } catch (error) {
      if (error === TIMED_OUT) return messages.redisTimeout(timeoutMs);
      return messages.redisFailed(error instanceof Error ? error.message : String(error));
    }
  }
}
