import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ResolvedTaskManagerMetricsOptions } from './task-manager-metrics.options.js';

/** Labels naming a task: bounded by the registered (and dynamic) tasks of the deployment. */
export type TaskLabel = 'group' | 'task';

/** Status label of `runs_total` and `run_duration_seconds`. */
export type RunStatus = 'success' | 'failed' | 'timeout';

/** A labelled value of a scrape-time gauge. */
export interface LabelledValue<L extends string> {
  labels: Record<L, string>;
  value: number;
}

/** Values computed when the registry is scraped (undefined: unknown now, the gauge keeps its value). */
export interface ScrapeTimeValues {
  isLeader(): number;
  redisConnected(): number;
  tasksInBackoff(): Promise<number | undefined>;
  tasksOverdue(): Promise<number | undefined>;
  tasksDisabled(): Promise<number | undefined>;
  lastSuccess(): Promise<Array<LabelledValue<TaskLabel>> | undefined>;
  runsPending(): Promise<Array<LabelledValue<'priority' | 'state'>> | undefined>;
}

/** Every metric of the task manager, as registered on one registry. */
export interface TaskManagerMetricSet {
  readonly runs: Counter<TaskLabel | 'status'>;
  readonly duration: Histogram<TaskLabel | 'status'>;
  readonly lateness: Histogram<TaskLabel>;
  readonly running: Gauge<TaskLabel>;
  readonly leader: Gauge;
  readonly leadershipGained: Counter;
  readonly leadershipLost: Counter<'voluntary'>;
  readonly reclaimed: Counter<TaskLabel>;
  readonly backoff: Gauge;
  readonly overdue: Gauge;
  readonly redisConnected: Gauge;
  readonly disabled: Gauge;
  readonly lastSuccess: Gauge<TaskLabel>;
  readonly pending: Gauge<'priority' | 'state'>;
}

/**
 * Creates and registers the metrics (names start with `options.prefix`, `task_manager_` by default);
 * returns them with their names (to unregister them).
 * @throws Error from prom-client when a metric of the same name is already registered on the registry
 */
export function createMetricSet(
  options: ResolvedTaskManagerMetricsOptions,
  values: ScrapeTimeValues,
): { metrics: TaskManagerMetricSet; names: string[] } {
  const names: string[] = [];
  const name = (suffix: string): string => {
    names.push(options.prefix + suffix);
    return options.prefix + suffix;
  };
  const registers: Registry[] = [options.registry];
  const taskLabels: TaskLabel[] = ['group', 'task'];
  const metrics: TaskManagerMetricSet = {
    runs: new Counter({
      name: name('runs_total'),
      help: 'Runs executed by this instance, by task and status (success | failed | timeout).',
      labelNames: [...taskLabels, 'status'],
      registers,
    }),
    duration: new Histogram({
      name: name('run_duration_seconds'),
      help: 'Duration of the runs executed by this instance, by task and status.',
      labelNames: [...taskLabels, 'status'],
      buckets: [...options.durationBuckets],
      registers,
    }),
    lateness: new Histogram({
      name: name('run_lateness_seconds'),
      help: 'Delay between a run slot (or trigger time) and the start of its handler on this instance.',
      labelNames: taskLabels,
      buckets: [...options.latenessBuckets],
      registers,
    }),
    running: new Gauge({
      name: name('runs_running'),
      help: 'Runs executing on this instance right now, by task.',
      labelNames: taskLabels,
      registers,
    }),
    leader: new Gauge({
      name: name('leader'),
      help: '1 while this instance is the leader (publishes the schedule), else 0.',
      registers,
      collect() {
        this.set(values.isLeader());
      },
    }),
    leadershipGained: new Counter({
      name: name('leadership_gained_total'),
      help: 'Times this instance became the leader (first elections and failovers).',
      registers,
    }),
    leadershipLost: new Counter({
      name: name('leadership_lost_total'),
      help: 'Times this instance stopped being the leader (voluntary: released on shutdown).',
      labelNames: ['voluntary'],
      registers,
    }),
    reclaimed: new Counter({
      name: name('runs_reclaimed_total'),
      help: 'Runs of dead workers re-published by this instance while leader, by task.',
      labelNames: taskLabels,
      registers,
    }),
    backoff: new Gauge({
      name: name('tasks_in_backoff'),
      help: 'Tasks of the deployment currently in retry backoff after failures.',
      registers,
      async collect() {
        const value = await values.tasksInBackoff();
        if (value !== undefined) this.set(value);
      },
    }),
    overdue: new Gauge({
      name: name('tasks_overdue'),
      help: 'Enabled tasks whose slot passed by more than the tolerance without being published.',
      registers,
      async collect() {
        const value = await values.tasksOverdue();
        if (value !== undefined) this.set(value);
      },
    }),
    redisConnected: new Gauge({
      name: name('redis_connected'),
      help: '1 while this instance is connected to Redis, else 0.',
      registers,
      collect() {
        this.set(values.redisConnected());
      },
    }),
    disabled: new Gauge({
      name: name('tasks_disabled'),
      help: 'Tasks of the deployment currently disabled (paused).',
      registers,
      async collect() {
        const value = await values.tasksDisabled();
        if (value !== undefined) this.set(value);
      },
    }),
    lastSuccess: new Gauge({
      name: name('last_success_timestamp_seconds'),
      help: 'Start time (Unix seconds) of the latest successful run of each task known to this instance.',
      labelNames: taskLabels,
      registers,
      async collect() {
        setAll(this, await values.lastSuccess());
      },
    }),
    pending: new Gauge({
      name: name('runs_pending'),
      help: 'Runs of the deployment published and not completed, by priority (high | normal) and state (queued | delivered).',
      labelNames: ['priority', 'state'],
      registers,
      async collect() {
        setAll(this, await values.runsPending());
      },
    }),
  };
  return { metrics, names };
}

/** Replaces every series of `gauge` with `values` (keeps them when undefined: unknown now). */
function setAll<L extends string>(gauge: Gauge<L>, values: Array<LabelledValue<L>> | undefined): void {
  if (values === undefined) return;
  gauge.reset();
  for (const { labels, value } of values) gauge.set(labels as Partial<Record<L, string>>, value);
}
