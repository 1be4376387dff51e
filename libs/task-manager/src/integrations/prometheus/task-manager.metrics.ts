import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { CoordinationPort, PendingRunCounts } from '../../engine/coordination.port.js';
import { TaskManagerEvents, type TaskManagerEventMap } from '../../engine/task-manager-events.js';
import { decodeTaskId } from '../../registry/task-id.js';
import { TASK_MANAGER_COORDINATION } from '../../task-manager.constants.js';
import { TaskManagerService, type TaskView } from '../../task-manager.service.js';
import { defaultOverdueToleranceMs, findOverdueTasks } from '../shared/overdue-tasks.js';
import { CachedRead } from './cached-read.js';
import {
  createMetricSet,
  type LabelledValue,
  type RunStatus,
  type TaskLabel,
  type TaskManagerMetricSet,
} from './task-manager-metric-set.js';
import { TASK_MANAGER_METRICS_OPTIONS } from './task-manager-metrics.options.js';
import type { ResolvedTaskManagerMetricsOptions } from './task-manager-metrics.options.js';

/**
 * Prometheus metrics of the task manager on this instance, fed by `TaskManagerEvents`:
 *
 * | metric (default prefix `task_manager_`) | type | labels |
 * |---|---|---|
 * | `runs_total` | counter | group, task, status (`success` / `failed` / `timeout`) |
 * | `run_duration_seconds` | histogram | group, task, status |
 * | `last_success_timestamp_seconds` (start of the latest successful run) | gauge | group, task |
 * | `run_lateness_seconds` (start − slot) | histogram | group, task |
 * | `runs_running` (this instance) | gauge | group, task |
 * | `leader` (1 / 0) | gauge | |
 * | `leadership_gained_total` (elections and failovers) | counter | |
 * | `leadership_lost_total` | counter | voluntary |
 * | `runs_reclaimed_total` (runs of dead workers re-published) | counter | group, task |
 * | `tasks_in_backoff`, `tasks_overdue`, `tasks_disabled` (deployment-wide, read on scrape) | gauge | |
 * | `runs_pending` (deployment-wide queue depth, read on scrape) | gauge | priority (`high` / `normal`), state (`queued` / `delivered`) |
 * | `redis_connected` (1 / 0) | gauge | |
 *
 * A run aborted by its `timeoutMs` counts with status `timeout`, not `failed` (it is recorded as failed in
 * the history all the same). `last_success_timestamp_seconds` merges the successes this instance ran with the
 * deployment's latest run of each task read on scrape, so every instance reports the deployment's value
 * once it has scraped; a task that never succeeded has no series.
 *
 * Label cardinality: `group` and `task` take the names of registered tasks only (static ones, and dynamic
 * ones created through the API), so series grow with the task catalogue, never with runs. Deployments that
 * create many short-lived dynamic tasks should mind this. The scrape-time gauges cost one pipelined Redis
 * read for the task states and one for the run queues per `stateCacheMs` (5 s by default), however often the
 * registry is scraped.
 *
 * `runs_running` counts a run from `run.started` to `run.succeeded`, `run.failed` or `run.aborted` (shutdown,
 * or a lease lost because this process froze and another instance took the run over).
 */
@Injectable()
export class TaskManagerMetrics implements OnModuleInit, OnApplicationShutdown {
  /** The registry the metrics are registered on (serve `await registry.metrics()` on `/metrics`). */
  readonly registry: Registry;
  private readonly metrics: TaskManagerMetricSet;
  private readonly names: string[];
  private readonly states: CachedRead<TaskView[]>;
  private readonly pendingRuns: CachedRead<PendingRunCounts>;
  /** Start (Unix seconds) of the latest successful run of each task known here, by `group\0task`. */
  private readonly lastSuccesses = new Map<string, number>();
  /** Runs executing here (by run id), to decrement the running gauge exactly once each. */
  private readonly runningRuns = new Map<string, Record<TaskLabel, string>>();
  private readonly unsubscribes: Array<() => void> = [];

  constructor(
    @Inject(TASK_MANAGER_METRICS_OPTIONS) options: ResolvedTaskManagerMetricsOptions,
    private readonly events: TaskManagerEvents,
    private readonly taskManager: TaskManagerService,
    @Inject(TASK_MANAGER_COORDINATION) port: CoordinationPort,
  ) {
    this.registry = options.registry;
    this.states = new CachedRead(() => taskManager.getTasks(), options.stateCacheMs);
    this.pendingRuns = new CachedRead(() => port.schedule.pendingRuns(), options.stateCacheMs);
    const overdueToleranceMs = options.overdueToleranceMs ?? defaultOverdueToleranceMs(taskManager.config());
    const { metrics, names } = createMetricSet(options, {
      isLeader: () => (taskManager.health().isLeader ? 1 : 0),
      redisConnected: () => (taskManager.health().redisConnected ? 1 : 0),
      tasksInBackoff: async () => {
        const views = await this.readStates();
        // Retry times and next runs are cluster times: compared with the cluster's clock, not this host's.
        const now = taskManager.clusterNow();
        return views?.filter((v) => (v.state.retryAfter ?? 0) > now).length;
      },
      tasksOverdue: async () => {
        const views = await this.readStates();
        return views && findOverdueTasks(views, taskManager.clusterNow(), overdueToleranceMs).length;
      },
      tasksDisabled: async () => (await this.readStates())?.filter((v) => v.state.disabled).length,
      lastSuccess: async () => this.lastSuccessValues(await this.readStates()),
      runsPending: async () => {
        const counts = taskManager.health().backendConnected ? await this.pendingRuns.get() : undefined;
        return counts && pendingValues(counts);
      },
    });
    this.metrics = metrics;
    this.names = names;
  }

  /** Subscribes to the task manager's events (before the engine starts, on application bootstrap). */
  onModuleInit(): void {
    const m = this.metrics;
    this.unsubscribes.push(
      this.events.on('run.started', (e) => {
        const labels = { group: e.groupName, task: e.taskName };
        m.lateness.observe(labels, Math.max(0, e.latenessMs) / 1000);
        if (!this.runningRuns.has(e.runId)) m.running.inc(labels);
        this.runningRuns.set(e.runId, labels);
      }),
      this.events.on('run.succeeded', (e) => {
        this.ended(e, 'success');
        // (Compared with the last runs read from the deployment: cluster times.)
        this.noteSuccess(e.groupName, e.taskName, (this.taskManager.clusterNow() - e.durationMs) / 1000);
      }),
      this.events.on('run.failed', (e) => this.ended(e, e.timedOut ? 'timeout' : 'failed')),
      this.events.on('run.aborted', (e) => {
        if (this.runningRuns.delete(e.runId)) m.running.dec({ group: e.groupName, task: e.taskName });
      }),
      this.events.on('leadership.gained', () => m.leadershipGained.inc()),
      this.events.on('leadership.lost', (e) => m.leadershipLost.inc({ voluntary: String(e.voluntary) })),
      this.events.on('runs.reclaimed', (e) => {
        for (const taskId of e.taskIds) m.reclaimed.inc(taskLabelsOf(taskId));
      }),
    );
  }

  /** Unsubscribes and removes the metrics from the registry (after the engine stopped). */
  onApplicationShutdown(): void {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    for (const name of this.names) this.registry.removeSingleMetric(name);
  }

  private ended(e: TaskManagerEventMap['run.succeeded'], status: RunStatus): void {
    const labels = { group: e.groupName, task: e.taskName };
    this.metrics.runs.inc({ ...labels, status });
    this.metrics.duration.observe({ ...labels, status }, e.durationMs / 1000);
    if (this.runningRuns.delete(e.runId)) this.metrics.running.dec(labels);
  }

  private noteSuccess(group: string, task: string, seconds: number): void {
    const key = `${group}\0${task}`;
    if (seconds > (this.lastSuccesses.get(key) ?? 0)) this.lastSuccesses.set(key, seconds);
  }

  /**
   * The last success of each task: the ones seen here, raised to the deployment's latest run when it
   * succeeded; tasks no longer in the deployment are dropped. Undefined (series kept) while states are unknown.
   */
  private lastSuccessValues(views: TaskView[] | undefined): Array<LabelledValue<TaskLabel>> | undefined {
    if (!views) return undefined;
    const known = new Set<string>();
    for (const { task, state } of views) {
      known.add(`${task.groupName}\0${task.name}`);
      if (state.lastStatus === 'success' && state.lastRun)
        this.noteSuccess(task.groupName, task.name, state.lastRun / 1000);
    }
    for (const key of this.lastSuccesses.keys()) if (!known.has(key)) this.lastSuccesses.delete(key);
    return [...this.lastSuccesses].map(([key, value]) => {
      const [group, task] = key.split('\0');
      return { labels: { group, task }, value };
    });
  }

  /** Task states for the scrape-time gauges; undefined while Redis is unreachable (gauges keep their value). */
  private readStates(): Promise<TaskView[] | undefined> {
    return this.taskManager.health().backendConnected ? this.states.get() : Promise.resolve(undefined);
  }
}

/** The group/task labels of a task id (the raw id as task name if it is malformed). */
function taskLabelsOf(taskId: string): Record<TaskLabel, string> {
  try {
    const { group, task } = decodeTaskId(taskId);
    return { group, task };
  } catch {
    return { group: '', task: taskId };
  }
}

/** The `runs_pending` series of the pending run counts. */
function pendingValues(counts: PendingRunCounts): Array<LabelledValue<'priority' | 'state'>> {
  return (['high', 'normal'] as const).flatMap((priority) =>
    (['queued', 'delivered'] as const).map((state) => ({
      labels: { priority, state },
      value: counts[priority][state],
    })),
  );
}
