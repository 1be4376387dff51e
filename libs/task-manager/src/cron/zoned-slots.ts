import type { CronFieldCollection } from 'cron-parser';
import { isUtcZone, zoneOffset } from './time-zone.js';
import { WallClock } from './wall-clock.js';

const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/**
 * An offset change closer than this to an instant is handled exactly around that instant. Wider than any DST
 * shift (2 h at most, Antarctica/Troll), so that farther changes cannot reorder the slots near the instant.
 */
const NEAR = 3 * HOUR;
/** Most wall-clock times looked at in one computation (only a gap of a per-second schedule comes close). */
const MAX_STEPS = 10_000;
/** `latest` looks back through chunks of time growing by this factor (1 s, 4 s, 16 s, …). */
const GROWTH = 4;
/** … up to this far back (a yearly or leap-day expression). */
const MAX_SPAN = 40 * 366 * DAY;

/** A change of a zone's UTC offset: the first instant with the new offset, and both offsets (ms). */
interface OffsetChange {
  at: number;
  before: number;
  after: number;
}

/**
 * The slots of a cron expression in a time zone, as one set of instants: every wall-clock time the expression
 * matches (`WallClock`, on a clock without DST), placed on the zone's clock here, so that the answer never
 * depends on the instant a computation starts from, and costs a bounded amount of work. Daylight-saving
 * rules (as Vixie cron):
 * - a wall-clock time that does not exist (spring forward) is skipped when the expression runs every hour,
 *   else moved later by the shift (`30 2 * * *` runs at 03:30 that day: the day keeps its run);
 * - a wall-clock time that happens twice (fall back) runs twice when the expression runs every hour (an
 *   hourly task gets 25 runs that day), else once, at its first occurrence.
 */
export class ZonedSlots {
  /** The expression on a wall clock where no time is missing or repeated. */
  private readonly wall: WallClock;
  /** The hour field lists some hours only: DST moves its missing times and runs repeated ones once. */
  private readonly fixedHours: boolean;
  private readonly utc: boolean;
  /** The last offset change found (a computation near a change is followed by others near it). */
  private lastChange?: OffsetChange;

  constructor(
    fields: CronFieldCollection,
    private readonly timeZone: string,
  ) {
    this.wall = new WallClock(fields);
    this.fixedHours = !this.wall.everyHour;
    this.utc = isUtcZone(timeZone);
  }

  /** The first slot strictly after the instant `t`. */
  next(t: number): number {
    if (this.utc) return this.wallNext(t);
    const change = this.changeNear(t);
    return change ? this.nextAround(t, change) : this.nextAway(t);
  }

  /**
   * The latest slots in [`from`, `at`], at most `limit`, oldest first. Walks forward through chunks of time
   * that grow backwards from `at` (1 s, then 4 times more each), until they hold `limit` slots or reach `from`:
   * the work is about the slots returned, however far `from` is.
   */
  latest(from: number, at: number, limit: number): number[] {
    if (limit <= 0 || from > at) return [];
    let found: number[] = [];
    let end = at;
    let steps = 0;
    for (let span = SECOND; span <= MAX_SPAN; span *= GROWTH) {
      const start = Math.max(from, at - span);
      const chunk: number[] = [];
      for (let slot = this.next(start - 1); slot <= end && steps < MAX_STEPS; slot = this.next(slot), steps++) {
        chunk.push(slot);
      }
      found = [...chunk, ...found].slice(-limit);
      if (found.length >= limit || start === from || steps >= MAX_STEPS) break;
      end = start - 1;
    }
    return found;
  }

  /** The first matching wall-clock time strictly after the wall-clock time `wall` (both as UTC ms). */
  private wallNext(wall: number): number {
    return this.wall.next(wall);
  }

  /** Next slot after `t` when no offset change is near `t`: the first matching wall-clock time after t's. */
  private nextAway(t: number): number {
    let wall = this.wallNext(t + zoneOffset(this.timeZone, t));
    for (let step = 0; step < MAX_STEPS; step++) {
      const placed = this.place(wall);
      const slot = placed.instants.find((u) => u > t);
      if (slot !== undefined) return slot;
      wall = this.wallNext(placed.skipTo ?? wall);
    }
    throw new Error(`no slot found after ${new Date(t).toISOString()} within ${MAX_STEPS} steps`);
  }

  /**
   * Next slot after `t`, an offset change being within NEAR of it: slots before the change, then the moved
   * ones (spring forward), then those after it (skipping the repeated times of a fixed-hours expression).
   */
  private nextAround(t: number, { at, before, after }: OffsetChange): number {
    if (t < at) {
      const wall = this.wallNext(t + before);
      if (wall < at + before) return wall - before;
    }
    const since = Math.max(t, at - 1);
    let best = Infinity;
    if (after > before && this.fixedHours) {
      const wall = this.wallNext(Math.max(since + before, at + before - 1));
      if (wall < at + after) best = wall - before;
    }
    let lower = since + after;
    if (after < before && this.fixedHours) lower = Math.max(lower, at + before - 1);
    const slot = this.wallNext(lower) - after;
    if (slot <= at + NEAR) return Math.min(best, slot);
    // Nothing after the change nearby: farther slots are placed by their own offsets.
    return best < Infinity ? best : this.nextAway(at + NEAR);
  }

  /**
   * The instants of the wall-clock time `wall` (sorted, DST rules applied) and, for a skipped missing time,
   * the wall-clock time from which to look on (the end of the gap).
   */
  private place(wall: number): { instants: number[]; skipTo?: number } {
    const before = zoneOffset(this.timeZone, wall - DAY);
    const after = zoneOffset(this.timeZone, wall + DAY);
    if (before === after) return { instants: [wall - before] };
    const early = wall - before;
    const late = wall - after;
    const valid = [early, late].filter((u, i) => zoneOffset(this.timeZone, u) === (i === 0 ? before : after));
    if (valid.length === 2 && early !== late) {
      const sorted = early < late ? [early, late] : [late, early];
      return { instants: this.fixedHours ? [sorted[0]] : sorted };
    }
    if (valid.length > 0) return { instants: [valid[0]] };
    // A wall-clock time that does not exist: clocks jumped from `before` to `after` between these instants.
    if (this.fixedHours) return { instants: [wall - before] };
    const change = this.changeBetween(late, early);
    return { instants: [], skipTo: change.at + after - 1 };
  }

  /** The offset change within NEAR of `t`, if any (one at most: changes are weeks apart). */
  private changeNear(t: number): OffsetChange | undefined {
    const known = this.lastChange;
    if (known && Math.abs(t - known.at) < NEAR) return known;
    if (zoneOffset(this.timeZone, t - NEAR) === zoneOffset(this.timeZone, t + NEAR)) return undefined;
    this.lastChange = this.changeBetween(t - NEAR, t + NEAR);
    return this.lastChange;
  }

  /** The offset change in (lo, hi], found by bisection to the second (offsets change on whole seconds). */
  private changeBetween(lo: number, hi: number): OffsetChange {
    let low = Math.floor(lo / SECOND);
    let high = Math.ceil(hi / SECOND);
    const before = zoneOffset(this.timeZone, low * SECOND);
    const after = zoneOffset(this.timeZone, high * SECOND);
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (zoneOffset(this.timeZone, mid * SECOND) === before) low = mid;
      else high = mid;
    }
    return { at: high * SECOND, before, after };
  }
}
