/** The event trace of one simulation: what happened, in simulated time, for a violation report. */
export interface TraceLine {
  at: number;
  who: string;
  what: string;
  /** Task the line is about, if any (to cut a minimal trace around a violating task). */
  taskId?: string;
}

/** Keeps the trace of a run (bounded: the oldest lines go first beyond `max`). */
export class Trace {
  readonly lines: TraceLine[] = [];
  constructor(
    private readonly origin: number,
    private readonly max = 20_000,
  ) {}

  add(at: number, who: string, what: string, taskId?: string): void {
    this.lines.push({ at, who, what, taskId });
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }

  /** Lines about `taskId` (and every fault / lifecycle line) in [from, to], the last `limit` of them. */
  about(taskId: string | undefined, from: number, to: number, limit = 120): string[] {
    return this.lines
      .filter(
        (l) => l.at >= from && l.at <= to && (l.taskId === undefined || taskId === undefined || l.taskId === taskId),
      )
      .slice(-limit)
      .map((l) => this.format(l));
  }

  /** FNV-1a of every line kept. */
  fingerprint(): string {
    let h = 0x811c9dc5;
    for (const l of this.lines) {
      const text = this.format(l);
      for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    }
    return `${this.lines.length}:${h.toString(16)}`;
  }

  format(l: TraceLine): string {
    return `${((l.at - this.origin) / 1000).toFixed(3).padStart(9)}s ${l.who.padEnd(6)} ${l.what}`;
  }
}
