/**
 * A read behind the scrape-time gauges (task states, pending runs), made at most once per `ttlMs`
 * (concurrent scrapes share one read). A failed read is not cached: it yields the last good value, or
 * undefined.
 */
export class CachedRead<T> {
  private last?: { at: number; value: T };
  private pending?: Promise<T | undefined>;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly ttlMs: number,
  ) {}

  /** A fresh enough value, or the last good one when the read fails, or undefined. */
  get(): Promise<T | undefined> {
    if (this.last && Date.now() - this.last.at < this.ttlMs) return Promise.resolve(this.last.value);
    this.pending ??= this.read()
      .then((value) => {
        this.last = { at: Date.now(), value };
        return value;
      })
      .catch(() => this.last?.value)
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}
