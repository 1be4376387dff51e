import { CronExpression, type CronFieldCollection } from 'cron-parser';

const SECOND = 1000;
/** Most days looked at for one answer (8 years: a leap-day expression matches every 4). */
const MAX_DAYS = 8 * 366;

/**
 * A cron expression on a wall clock without daylight saving time (wall-clock times as UTC milliseconds): the
 * next matching time after a given one, in a few microseconds. Days are matched by cron-parser itself (its
 * day-of-month / day-of-week rules, `L`, `#`), once per day looked at; times of day from the parsed fields.
 */
export class WallClock {
  private readonly seconds: number[];
  private readonly minutes: number[];
  private readonly hours: number[];
  private readonly months: Set<number>;
  private readonly days: CronExpression;
  private lastDay = NaN;
  private lastDayMatches = false;

  constructor(fields: CronFieldCollection) {
    const sorted = (values: ReadonlyArray<number | string>) =>
      [...new Set(values.map(Number))].filter(Number.isInteger).sort((a, b) => a - b);
    this.seconds = sorted(fields.second.values);
    this.minutes = sorted(fields.minute.values);
    this.hours = sorted(fields.hour.values);
    this.months = new Set(sorted(fields.month.values));
    this.days = new CronExpression(fields, { tz: 'UTC' });
  }

  /** Whether the hour field lists every hour. */
  get everyHour(): boolean {
    return this.hours.length === 24;
  }

  /** The first matching wall-clock time strictly after `wall`. */
  next(wall: number): number {
    let t = Math.floor(wall / SECOND) * SECOND + SECOND;
    for (let day = 0; day < MAX_DAYS; day++) {
      const date = new Date(t);
      const year = date.getUTCFullYear();
      const month = date.getUTCMonth();
      const dayOfMonth = date.getUTCDate();
      if (!this.months.has(month + 1)) {
        t = Date.UTC(year, month + 1, 1);
        continue;
      }
      const midnight = Date.UTC(year, month, dayOfMonth);
      if (this.dayMatches(midnight)) {
        const time = this.timeOfDayFrom(t - midnight);
        if (time !== undefined) return midnight + time;
      }
      t = Date.UTC(year, month, dayOfMonth + 1);
    }
    throw new Error(`no matching time within ${MAX_DAYS} days after ${new Date(wall).toISOString()}`);
  }

  /** The first matching time of day (ms) at or after `ms` into a day, if any. */
  private timeOfDayFrom(ms: number): number | undefined {
    const total = Math.floor(ms / SECOND);
    const [hour, minute, second] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
    for (const h of this.hours) {
      if (h < hour) continue;
      for (const m of this.minutes) {
        if (h === hour && m < minute) continue;
        for (const s of this.seconds) {
          if (h === hour && m === minute && s < second) continue;
          return ((h * 60 + m) * 60 + s) * SECOND;
        }
      }
    }
    return undefined;
  }

  private dayMatches(midnight: number): boolean {
    if (midnight !== this.lastDay) {
      const probe = midnight + ((this.hours[0] * 60 + this.minutes[0]) * 60 + this.seconds[0]) * SECOND;
      this.lastDay = midnight;
      this.lastDayMatches = this.days.includesDate(new Date(probe));
    }
    return this.lastDayMatches;
  }
}
