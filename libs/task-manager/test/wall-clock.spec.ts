import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { WallClock } from '../src/cron/wall-clock.js';

/** Expressions covering every field form cron-parser accepts: lists, ranges, steps, L, #, dom/dow "or". */
const EXPRESSIONS = [
  '* * * * *',
  '*/7 * * * * *',
  '15,45 10-12/2 * * *',
  '0 0 L * *',
  '0 12 * * 5L',
  '30 9 * * 1#2',
  '0 0 13 * 5',
  '0 0 29 2 *',
  '0 0 1 1 *',
  '59 23 31 12 *',
  '0 6 * 3-5 1-5',
  '5 4 * * 0',
  '5 4 * * 7',
  '0 0 1,15 * 3',
  '0 12 ? * MON-FRI',
];

/** A deterministic sequence of instants spread over 2024-2031 (leap years included), at odd milliseconds. */
function instants(count: number): number[] {
  const from = Date.parse('2024-01-01T00:00:00Z');
  const span = Date.parse('2032-01-01T00:00:00Z') - from;
  let seed = 12345;
  return Array.from({ length: count }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return from + Math.floor((seed / 2 ** 31) * span);
  });
}

describe('WallClock', () => {
  it.each(EXPRESSIONS)('matches cron-parser in UTC for %j', (expression) => {
    const reference = CronExpressionParser.parse(expression, { tz: 'UTC', strict: false });
    const clock = new WallClock(reference.fields);
    for (const t of instants(150)) {
      reference.reset(new Date(t));
      const expected = reference.next().getTime();
      expect(new Date(clock.next(t)).toISOString(), `after ${new Date(t).toISOString()}`).toBe(
        new Date(expected).toISOString(),
      );
    }
  });

  it('answers strictly after whole seconds, milliseconds included', () => {
    const clock = new WallClock(CronExpressionParser.parse('* * * * * *', { tz: 'UTC' }).fields);
    expect(clock.next(Date.parse('2026-01-01T00:00:00.000Z'))).toBe(Date.parse('2026-01-01T00:00:01.000Z'));
    expect(clock.next(Date.parse('2026-01-01T00:00:00.999Z'))).toBe(Date.parse('2026-01-01T00:00:01.000Z'));
  });
});
