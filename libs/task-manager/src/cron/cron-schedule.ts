import { CronExpressionParser, type CronExpression } from 'cron-parser';

const FIELD_COUNTS = new Set([5, 6]);
/** Parsed schedules by expression and zone (bounded: dynamic tasks may bring many expressions). */
const parsed = new Map<string, CronSchedule>();
const MAX_CACHED = 10_000;

/** A parsed cron expression in a time zone, computing slots (epoch milliseconds). */
export class CronSchedule {
  private readonly iterator: CronExpression;
  private lastSlot = NaN;
  private lastNext = NaN;

  private constructor(
    readonly expression: string,
    readonly timeZone: string,
  ) {
    this.iterator = CronExpressionParser.parse(expression, {
      tz: timeZone,
      strict: false,
    });
  }

  /**
   * Parses `expression` (5 fields, or 6 with seconds first) in `timeZone`. Schedules are immutable in
   * effect and shared: parsing the same expression and zone twice returns the same instance.
   * @throws Error with a readable message when the expression or time zone is invalid.
   */
  static parse(expression: string, timeZone = 'UTC'): CronSchedule {
    const key = `${expression.trim()}|${timeZone}`;
    let schedule = parsed.get(key);
    if (!schedule) {
      const problem = CronSchedule.validate(expression, timeZone);
      if (problem) throw new Error(problem);
      schedule = new CronSchedule(expression.trim(), timeZone);
      if (parsed.size >= MAX_CACHED) parsed.delete(parsed.keys().next().value!);
      parsed.set(key, schedule);
    }
    return schedule;
  }

  /** Returns why `expression`/`timeZone` is unusable, or undefined when it is fine. */
  static validate(expression: unknown, timeZone: unknown = 'UTC'): string | undefined {
    if (typeof timeZone !== 'string' || !isValidTimeZone(timeZone)) {
      return `unknown time zone ${JSON.stringify(timeZone)} (use an IANA name such as "Europe/Paris")`;
    }
    if (typeof expression !== 'string' || expression.trim() === '') {
      return 'cron expression is empty';
    }
    if (parsed.has(`${expression.trim()}|${timeZone}`)) return undefined;
    const fields = expression.trim().split(/\s+/);
    if (!FIELD_COUNTS.has(fields.length)) {
      return `cron expression "${expression}" has ${fields.length} field(s); expected 5 (minute hour day month weekday) or 6 (second first)`;
    }
    try {
      CronExpressionParser.parse(expression.trim(), { tz: timeZone }).next();
    } catch (error) {
      return `invalid cron expression "${expression}": ${(error as Error).message}`;
    }
    return undefined;
  }

  /**
   * The slot that follows `slot`, itself a slot of this schedule (the leader's hot path). The last answer
   * is kept: in an aligned burst every task sharing this schedule asks the same question.
   */
  nextAfterSlot(slot: number): number {
    if (slot === this.lastSlot) return this.lastNext;
    this.iterator.reset(new Date(slot));
    const next = this.iterator.next().getTime();
    this.lastSlot = slot;
    this.lastNext = next;
    return next;
  }

  /**
   * First slot strictly after any instant `afterMs`. Walks from the latest slot at or before `afterMs`, so
   * that on a daylight-saving fall-back night a daily slot whose wall-clock time repeats (e.g. 02:30 in
   * Europe/Paris) is not produced a second time.
   */
  nextAfter(afterMs: number): number {
    let previous: number;
    try {
      this.iterator.reset(new Date(afterMs + 1));
      previous = this.iterator.prev().getTime();
    } catch {
      return this.nextAfterSlot(afterMs);
    }
    let next = this.nextAfterSlot(previous);
    while (next <= afterMs) next = this.nextAfterSlot(next);
    return next;
  }

  /**
   * The latest slots in [`fromMs`, `atMs`], at most `limit` of them, oldest first. The slots are chained
   * forward from the oldest one found, so a repeated wall-clock time (DST fall-back) counts once.
   */
  latestSlots(fromMs: number, atMs: number, limit: number): number[] {
    const backwards: number[] = [];
    this.iterator.reset(new Date(atMs + 1));
    try {
      while (backwards.length < limit) {
        const slot = this.iterator.prev().getTime();
        if (slot < fromMs) break;
        backwards.push(slot);
      }
    } catch {
      // No earlier slot (start of the expression's range).
    }
    if (backwards.length === 0) return [];
    const slots = [backwards[backwards.length - 1]];
    for (let next = this.nextAfterSlot(slots[0]); next <= atMs; next = this.nextAfterSlot(next)) slots.push(next);
    return slots.slice(-limit);
  }
}

const knownZones = new Map<string, boolean>();

/** Whether `zone` is an IANA time zone this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  let known = knownZones.get(zone);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      known = zone.length > 0;
    } catch {
      known = false;
    }
    knownZones.set(zone, known);
  }
  return known;
}
