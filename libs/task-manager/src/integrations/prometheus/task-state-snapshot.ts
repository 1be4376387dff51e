import type { TaskView } from '../../task-manager.service.js';

/**
 * The task states behind the scrape-time gauges, read at most once per `ttlMs` (concurrent scrapes share
 * one read). A failed read is not cached: it yields the last good states, or undefined.
 */
export class TaskStateSnapshot {
  private last?: { at: number; views: TaskView[] };
  private pending?: Promise<TaskView[] | undefined>;

  constructor(
    private readonly read: () => Promise<TaskView[]>,
    private readonly ttlMs: number,
  ) {}

  /** Fresh enough task states, or the last good ones when Redis fails, or undefined. */
  get(): Promise<TaskView[] | undefined> {
    if (this.last && Date.now() - this.last.at < this.ttlMs) return Promise.resolve(this.last.views);
    this.pending ??= this.read()
      .then((views) => {
        this.last = { at: Date.now(), views };
        return views;
      })
      .catch(() => this.last?.views)
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}
