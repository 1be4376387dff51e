import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { TaskManagerEvents, type TaskManagerEventMap } from '../../engine/task-manager-events.js';
import { decodeTaskId } from '../../registry/task-id.js';
import { TaskManagerService, type TaskView } from '../../task-manager.service.js';
import { defaultOverdueToleranceMs, findOverdueTasks } from '../shared/overdue-tasks.js';
import { createMetricSet, type TaskLabel, type TaskManagerMetricSet } from './task-manager-metric-set.js';
import { TASK_MANAGER_METRICS_OPTIONS } from './task-manager-metrics.module-definition.js';
import type { ResolvedTaskManagerMetricsOptions } from './task-manager-metrics.options.js';
import { TaskStateSnapshot } from './task-state-snapshot.js';

/**
 * Prometheus metrics of the task manager on this instance, fed by `TaskManagerEvents`:
 *
 * | metric (default prefix `task_manager_`) | type | labels |
 * |---|---|---|
 * | `runs_total` | counter | group, task, status (`success` / `failed`) |
 * | `run_duration_seconds` | histogram | group, task, status |
 * | `run_lateness_seconds` (start − slot) | histogram | group, task |
 * | `runs_running` (this instance) | gauge | group, task |
 * | `leader` (1 / 0) | gauge | |
 * | `leadership_gained_total` (elections and failovers) | counter | |
 * | `leadership_lost_total` | counter | voluntary |
 * | `runs_reclaimed_total` (runs of dead workers re-published) | counter | group, task |
 * | `tasks_in_backoff`, `tasks_overdue` (deployment-wide, read on scrape) | gauge | |
 * | `redis_connected` (1 / 0) | gauge | |
 *
 * Label cardinality: `group` and `task` take the names of registered tasks only (static ones, and dynamic
 * ones created through the API), so series grow with the task catalogue, never with runs. Deployments that
 * create many short-lived dynamic tasks should mind this. The scrape-time gauges cost one pipelined Redis
 * read per `stateCacheMs` (5 s by default), however often the registry is scraped.
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
  private readonly states: TaskStateSnapshot;
  /** Runs executing here (by run id), to decrement the running gauge exactly once each. */
  private readonly runningRuns = new Map<string, Record<TaskLabel, string>>();
  private readonly unsubscribes: Array<() => void> = [];

  constructor(
    @Inject(TASK_MANAGER_METRICS_OPTIONS) options: ResolvedTaskManagerMetricsOptions,
    private readonly events: TaskManagerEvents,
    private readonly taskManager: TaskManagerService,
  ) {
    this.registry = options.registry;
    this.states = new TaskStateSnapshot(() => taskManager.getTasks(), options.stateCacheMs);
    const overdueToleranceMs = options.overdueToleranceMs ?? defaultOverdueToleranceMs(taskManager.options);
    const { metrics, names } = createMetricSet(options, {
      isLeader: () => (taskManager.health().isLeader ? 1 : 0),
      redisConnected: () => (taskManager.health().redisConnected ? 1 : 0),
      tasksInBackoff: async () => {
        const views = await this.readStates();
        const now = Date.now();
        return views?.filter((v) => (v.state.retryAfter ?? 0) > now).length;
      },
      tasksOverdue: async () => {
        const views = await this.readStates();
        return views && findOverdueTasks(views, Date.now(), overdueToleranceMs).length;
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
      this.events.on('run.succeeded', (e) => this.ended(e, 'success')),
      this.events.on('run.failed', (e) => this.ended(e, 'failed')),
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

  private ended(e: TaskManagerEventMap['run.succeeded'], status: 'success' | 'failed'): void {
    const labels = { group: e.groupName, task: e.taskName };
    this.metrics.runs.inc({ ...labels, status });
    this.metrics.duration.observe({ ...labels, status }, e.durationMs / 1000);
    if (this.runningRuns.delete(e.runId)) this.metrics.running.dec(labels);
  }

  /** Task states for the scrape-time gauges; undefined while Redis is unreachable (gauges keep their value). */
  private readStates(): Promise<TaskView[] | undefined> {
    return this.taskManager.health().redisConnected ? this.states.get() : Promise.resolve(undefined);
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
