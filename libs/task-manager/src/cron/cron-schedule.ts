import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { cronExpressionProblem, toCronFields } from './cron-expression.js';
import { isValidTimeZone } from './time-zone.js';
import { ZonedSlots } from './zoned-slots.js';

export { isValidTimeZone };

/** Parsed schedules by expression and zone (bounded: dynamic tasks may bring many expressions). */
const parsed = new Map<string, CronSchedule>();
const MAX_CACHED = 10_000;

/** A parsed cron expression in a time zone, computing slots (epoch milliseconds). */
export class CronSchedule {
  private readonly iterator: CronExpression;
  private readonly slots: ZonedSlots;
  private lastSlot = NaN;
  private lastNext = NaN;

  private constructor(
    readonly expression: string,
    readonly timeZone: string,
  ) {
    this.iterator = CronExpressionParser.parse(toCronFields(expression), {
      tz: timeZone,
      strict: false,
    });
    this.slots = new ZonedSlots(this.iterator.fields, timeZone);
  }

  /**
   * Parses `expression` (5 fields, 6 with seconds first, or a nickname such as `@daily`) in `timeZone`. Schedules are immutable in
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

  /** Returns why `expression`/`timeZone` is unusable, or undefined when it is fine (the rule: `cron-expression.ts`). */
  static validate(expression: unknown, timeZone: unknown = 'UTC'): string | undefined {
    if (typeof timeZone !== 'string' || !isValidTimeZone(timeZone)) {
      return `unknown time zone ${JSON.stringify(timeZone)} (use an IANA name such as "Europe/Paris")`;
    }
    if (typeof expression === 'string' && parsed.has(`${expression.trim()}|${timeZone}`)) return undefined;
    return cronExpressionProblem(expression);
  }

  /**
   * The slot that follows `slot`, itself a slot of this schedule (the leader's hot path). The last answer
   * is kept: in an aligned burst every task sharing this schedule asks the same question.
   */
  nextAfterSlot(slot: number): number {
    if (slot === this.lastSlot) return this.lastNext;
    const next = this.slots.next(slot);
    this.lastSlot = slot;
    this.lastNext = next;
    return next;
  }

  /**
   * First slot strictly after any instant `afterMs`. The slots are one set of instants whatever the instant
   * asked (see `ZonedSlots` for the daylight-saving rules): on a fall-back night a daily slot whose wall-clock
   * time repeats (e.g. 02:30 in Europe/Paris) is not produced a second time.
   */
  nextAfter(afterMs: number): number {
    return this.slots.next(afterMs);
  }

  /** The latest slots in [`fromMs`, `atMs`], at most `limit` of them, oldest first. */
  latestSlots(fromMs: number, atMs: number, limit: number): number[] {
    return this.slots.latest(fromMs, atMs, limit);
  }
}
