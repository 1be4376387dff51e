import { describe, expect, it } from 'vitest';
import { CronSchedule, isValidTimeZone } from '../src/cron/cron-schedule.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

/** Local calendar date (YYYY-MM-DD) and wall-clock time (HH:MM) of `ms` in `timeZone`. */
function local(ms: number, timeZone: string): { date: string; time: string } {
  const date = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(ms);
  const time = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ms);
  return { date, time };
}

/** The chain of slots the scheduler walks: each next slot computed from the previous one. */
function chain(schedule: CronSchedule, fromMs: number, untilMs: number): number[] {
  const slots: number[] = [];
  for (let slot = schedule.nextAfter(fromMs); slot <= untilMs; slot = schedule.nextAfter(slot)) slots.push(slot);
  return slots;
}

/** Asserts `nextAfter(t) > t` for t sweeping [fromMs, untilMs] in odd steps (hits sub-second offsets too). */
function expectStrictlyIncreasing(schedule: CronSchedule, fromMs: number, untilMs: number, stepMs: number): void {
  let checked = 0;
  for (let t = fromMs; t <= untilMs; t += stepMs) {
    const next = schedule.nextAfter(t);
    if (next <= t) expect.fail(`nextAfter(${iso(t)}) returned ${iso(next)}, not after its argument`);
    checked++;
  }
  expect(checked).toBeGreaterThan(10);
}

describe('CronSchedule.validate', () => {
  it.each([
    ['*/5 * * * *', 'UTC'],
    ['0 9 * * 1-5', 'Europe/Paris'],
    ['0 0 1 1 *', 'America/New_York'],
    ['*/10 * * * * *', 'UTC'],
    ['0 30 2 * * *', 'Asia/Kolkata'],
    ['  */5   *  * * *  ', 'UTC'],
  ])('accepts %j in %s', (expression, timeZone) => {
    expect(CronSchedule.validate(expression, timeZone)).toBeUndefined();
    expect(() => CronSchedule.parse(expression, timeZone)).not.toThrow();
  });

  it('rejects an empty expression', () => {
    expect(CronSchedule.validate('')).toBe('cron expression is empty');
    expect(CronSchedule.validate('   ')).toBe('cron expression is empty');
    expect(CronSchedule.validate(undefined)).toBe('cron expression is empty');
  });

  it('rejects too few fields, saying how many were found and expected', () => {
    const problem = CronSchedule.validate('* * *');
    expect(problem).toMatch(/"\* \* \*" has 3 field\(s\)/);
    expect(problem).toMatch(/expected 5 \(minute hour day month weekday\) or 6 \(second first\)/);
  });

  it('rejects too many fields', () => {
    expect(CronSchedule.validate('* * * * * * *')).toMatch(/has 7 field\(s\); expected 5 .* or 6/);
  });

  it('rejects an out-of-range minute, naming the value and the range', () => {
    const problem = CronSchedule.validate('60 * * * *');
    expect(problem).toMatch(/^invalid cron expression "60 \* \* \* \*": /);
    expect(problem).toMatch(/60/);
    expect(problem).toMatch(/0-59/);
  });

  it('rejects an out-of-range hour and garbage', () => {
    expect(CronSchedule.validate('* 25 * * *')).toMatch(/invalid cron expression "\* 25 \* \* \*".*0-23/);
    expect(CronSchedule.validate('a b c d e')).toMatch(/invalid cron expression "a b c d e"/);
  });

  it('rejects an unknown time zone, suggesting an IANA name', () => {
    expect(CronSchedule.validate('* * * * *', 'Mars/Olympus')).toBe(
      'unknown time zone "Mars/Olympus" (use an IANA name such as "Europe/Paris")',
    );
    expect(CronSchedule.validate('* * * * *', '')).toMatch(/unknown time zone ""/);
    expect(CronSchedule.validate('* * * * *', 42)).toMatch(/unknown time zone 42/);
  });

  it('parse throws the same readable message', () => {
    expect(() => CronSchedule.parse('60 * * * *')).toThrow(/invalid cron expression "60 \* \* \* \*"/);
    expect(() => CronSchedule.parse('* * * * *', 'Nowhere/Land')).toThrow(/unknown time zone "Nowhere\/Land"/);
  });

  it('isValidTimeZone knows IANA names only', () => {
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Europe/Atlantis')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});

describe('CronSchedule.nextAfter', () => {
  it('every 5 minutes: next multiple of 5 minutes, strictly after the argument', () => {
    const s = CronSchedule.parse('*/5 * * * *');
    expect(iso(s.nextAfter(at('2026-01-01T10:00:00.000Z')))).toBe('2026-01-01T10:05:00.000Z');
    expect(iso(s.nextAfter(at('2026-01-01T10:00:00.001Z')))).toBe('2026-01-01T10:05:00.000Z');
    expect(iso(s.nextAfter(at('2026-01-01T10:04:59.999Z')))).toBe('2026-01-01T10:05:00.000Z');
    expect(iso(s.nextAfter(at('2026-01-01T10:05:00.000Z')))).toBe('2026-01-01T10:10:00.000Z');
    expect(iso(s.nextAfter(at('2026-01-01T23:58:00.000Z')))).toBe('2026-01-02T00:00:00.000Z');
  });

  it('every second (6 fields): the next whole second', () => {
    const s = CronSchedule.parse('* * * * * *');
    expect(iso(s.nextAfter(at('2026-01-01T10:00:00.000Z')))).toBe('2026-01-01T10:00:01.000Z');
    expect(iso(s.nextAfter(at('2026-01-01T10:00:00.500Z')))).toBe('2026-01-01T10:00:01.000Z');
    expect(iso(s.nextAfter(at('2026-01-01T10:00:00.999Z')))).toBe('2026-01-01T10:00:01.000Z');
    expect(iso(s.nextAfter(at('2026-01-01T10:00:01.000Z')))).toBe('2026-01-01T10:00:02.000Z');
  });

  it('chains without gaps or repeats', () => {
    const s = CronSchedule.parse('*/5 * * * *');
    const slots = chain(s, at('2026-01-01T10:00:00Z'), at('2026-01-01T11:00:00Z'));
    expect(slots).toHaveLength(12);
    slots.forEach((slot, i) => expect(slot).toBe(at('2026-01-01T10:05:00Z') + i * 5 * MINUTE));
  });

  it('is not affected by a previous latestSlots call (shared iterator is reset)', () => {
    const s = CronSchedule.parse('*/5 * * * *');
    s.latestSlots(at('2020-01-01T00:00:00Z'), at('2020-01-01T01:00:00Z'), 3);
    expect(iso(s.nextAfter(at('2026-01-01T10:01:00Z')))).toBe('2026-01-01T10:05:00.000Z');
  });

  it('interprets the expression in the time zone: 09:00 Paris is 08:00Z in winter, 07:00Z in summer', () => {
    const s = CronSchedule.parse('0 9 * * *', 'Europe/Paris');
    expect(iso(s.nextAfter(at('2026-01-15T00:00:00Z')))).toBe('2026-01-15T08:00:00.000Z');
    expect(iso(s.nextAfter(at('2026-07-15T00:00:00Z')))).toBe('2026-07-15T07:00:00.000Z');
    // Already past 09:00 local (08:30Z = 09:30 CET): tomorrow.
    expect(iso(s.nextAfter(at('2026-01-15T08:30:00Z')))).toBe('2026-01-16T08:00:00.000Z');
  });

  it('handles non-hour offsets (Asia/Kolkata, UTC+05:30) and defaults to UTC', () => {
    expect(iso(CronSchedule.parse('0 9 * * *', 'Asia/Kolkata').nextAfter(at('2026-01-15T00:00:00Z')))).toBe(
      '2026-01-15T03:30:00.000Z',
    );
    expect(iso(CronSchedule.parse('0 9 * * *').nextAfter(at('2026-01-15T00:00:00Z')))).toBe('2026-01-15T09:00:00.000Z');
  });
});

describe('CronSchedule across daylight saving time (Europe/Paris)', () => {
  const PARIS = 'Europe/Paris';

  describe('spring forward, 2026-03-29 (02:00 CET -> 03:00 CEST, so 02:30 does not exist)', () => {
    const daily = CronSchedule.parse('30 2 * * *', PARIS);

    it('moves the nonexistent 02:30 slot to 03:30 CEST (01:30Z): the day still gets exactly one run', () => {
      // What cron-parser 5 does: the 02:30 slot is not skipped, it runs at 03:30 local time.
      const slots = chain(daily, at('2026-03-27T00:00:00Z'), at('2026-03-31T00:00:00Z'));
      expect(slots.map(iso)).toEqual([
        '2026-03-27T01:30:00.000Z', // 02:30 CET
        '2026-03-28T01:30:00.000Z', // 02:30 CET
        '2026-03-29T01:30:00.000Z', // 03:30 CEST: moved one hour later
        '2026-03-30T00:30:00.000Z', // 02:30 CEST
      ]);
      expect(local(slots[2], PARIS)).toEqual({
        date: '2026-03-29',
        time: '03:30',
      });
      expect(slots.filter((slot) => local(slot, PARIS).date === '2026-03-29')).toHaveLength(1);
    });

    it('nextAfter never returns a time <= its argument around the transition', () => {
      expectStrictlyIncreasing(daily, at('2026-03-28T22:00:00Z'), at('2026-03-29T04:00:00Z'), 7 * MINUTE + 13_337);
      expectStrictlyIncreasing(
        CronSchedule.parse('*/7 * * * * *', PARIS),
        at('2026-03-29T00:55:00Z'),
        at('2026-03-29T01:05:00Z'),
        3_217,
      );
    });

    it('an hourly task has no 02:xx run: 23 runs that local day', () => {
      const hourly = CronSchedule.parse('30 * * * *', PARIS);
      const slots = chain(hourly, at('2026-03-28T23:00:00Z'), at('2026-03-29T21:59:00Z'));
      expect(slots).toHaveLength(23);
      expect(slots.map((slot) => local(slot, PARIS).time)).not.toContain('02:30');
      expect(new Set(slots).size).toBe(slots.length);
    });
  });

  describe('fall back, 2026-10-25 (03:00 CEST -> 02:00 CET, so 02:30 happens twice: 00:30Z and 01:30Z)', () => {
    const daily = CronSchedule.parse('30 2 * * *', PARIS);

    it('the chain of slots runs the daily 02:30 task once that day, at the first (CEST) occurrence', () => {
      const slots = chain(daily, at('2026-10-23T00:00:00Z'), at('2026-10-27T00:00:00Z'));
      expect(slots.map(iso)).toEqual([
        '2026-10-23T00:30:00.000Z', // 02:30 CEST
        '2026-10-24T00:30:00.000Z', // 02:30 CEST
        '2026-10-25T00:30:00.000Z', // 02:30 CEST, first occurrence; the CET one (01:30Z) is not chained
        '2026-10-26T01:30:00.000Z', // 02:30 CET
      ]);
      expect(slots.filter((slot) => local(slot, PARIS).date === '2026-10-25')).toHaveLength(1);
    });

    it('nextAfter from an instant between the two 02:30s does not produce the repeated 02:30 (01:30Z)', () => {
      // cron-parser 5.10 alone returns the second 02:30 CET (01:30Z) when started from an instant in
      // [01:00Z, 01:30Z); the slots are one set of instants whatever the instant asked, so the day keeps one run.
      expect(iso(daily.nextAfter(at('2026-10-25T00:45:00Z')))).toBe('2026-10-26T01:30:00.000Z');
      expect(iso(daily.nextAfter(at('2026-10-25T01:00:00Z')))).toBe('2026-10-26T01:30:00.000Z');
      expect(iso(daily.nextAfter(at('2026-10-25T01:29:59Z')))).toBe('2026-10-26T01:30:00.000Z');
    });

    it('latestSlots over that night returns the 02:30 once (runAll publishes it once)', () => {
      const slots = daily.latestSlots(at('2026-10-24T12:00:00Z'), at('2026-10-25T12:00:00Z'), 10);
      expect(slots.map(iso)).toEqual(['2026-10-25T00:30:00.000Z']);
    });

    it('nextAfter never returns a time <= its argument around the transition', () => {
      expectStrictlyIncreasing(daily, at('2026-10-24T22:00:00Z'), at('2026-10-25T04:00:00Z'), 7 * MINUTE + 13_337);
      expectStrictlyIncreasing(
        CronSchedule.parse('*/7 * * * * *', PARIS),
        at('2026-10-25T00:55:00Z'),
        at('2026-10-25T01:05:00Z'),
        3_217,
      );
    });

    it('an hourly task runs in both 02:xx hours: 25 distinct runs that local day', () => {
      const hourly = CronSchedule.parse('30 * * * *', PARIS);
      const slots = chain(hourly, at('2026-10-24T22:00:00Z'), at('2026-10-25T22:59:00Z'));
      expect(slots).toHaveLength(25);
      expect(slots.filter((slot) => local(slot, PARIS).time === '02:30').map(iso)).toEqual([
        '2026-10-25T00:30:00.000Z',
        '2026-10-25T01:30:00.000Z',
      ]);
      expect(slots.every((slot, i) => i === 0 || slot - slots[i - 1] === HOUR)).toBe(true);
    });
  });
});

describe('CronSchedule around the DST changes of Chatham (45 min past the hour) and Lord Howe (30 min shifts)', () => {
  it('Pacific/Chatham, the day after the September change: an answer at once, and the missed slot found', () => {
    // 2026-09-27 02:45 +12:45 -> 03:45 +13:45 (2026-09-26T14:00Z). cron-parser's prev() took 5 s here and threw.
    const daily = CronSchedule.parse('30 2 * * *', 'Pacific/Chatham');
    const started = performance.now();
    expect(iso(daily.nextAfter(at('2026-09-27T12:00:00Z')))).toBe('2026-09-27T12:45:00.000Z'); // 02:30 +13:45
    expect(daily.latestSlots(at('2026-09-26T00:00:00Z'), at('2026-09-27T12:00:00Z'), 5).map(iso)).toEqual([
      '2026-09-26T13:45:00.000Z', // 02:30 +12:45, before the change
    ]);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('Australia/Lord_Howe fall back (02:00 +11 -> 01:30 +10:30): a daily 01:45 runs once, an hourly :45 twice', () => {
    const from = at('2026-04-04T12:00:00Z');
    expect(
      chain(CronSchedule.parse('45 1 * * *', 'Australia/Lord_Howe'), from, at('2026-04-06T00:00:00Z')).map(iso),
    ).toEqual([
      '2026-04-04T14:45:00.000Z', // 01:45 +11, first occurrence
      '2026-04-05T15:15:00.000Z', // 01:45 +10:30, the next day
    ]);
    expect(
      chain(CronSchedule.parse('45 * * * *', 'Australia/Lord_Howe'), from, at('2026-04-04T17:00:00Z')).map(iso),
    ).toEqual([
      '2026-04-04T12:45:00.000Z', // 23:45 +11
      '2026-04-04T13:45:00.000Z', // 00:45 +11
      '2026-04-04T14:45:00.000Z', // 01:45 +11
      '2026-04-04T15:15:00.000Z', // 01:45 +10:30 (the repeated half hour)
      '2026-04-04T16:15:00.000Z', // 02:45 +10:30
    ]);
  });

  it('Australia/Lord_Howe spring forward (02:00 +10:30 -> 02:30 +11): a daily 02:15 moves to 02:45, an hourly :15 skips', () => {
    const from = at('2026-10-03T12:00:00Z');
    expect(
      chain(CronSchedule.parse('15 2 * * *', 'Australia/Lord_Howe'), from, at('2026-10-05T00:00:00Z')).map(iso),
    ).toEqual([
      '2026-10-03T15:45:00.000Z', // 02:45 +11: moved by the 30 min shift
      '2026-10-04T15:15:00.000Z', // 02:15 +11
    ]);
    expect(
      chain(CronSchedule.parse('15 * * * *', 'Australia/Lord_Howe'), from, at('2026-10-03T17:00:00Z')).map(iso),
    ).toEqual([
      '2026-10-03T12:45:00.000Z', // 23:15 +10:30
      '2026-10-03T13:45:00.000Z', // 00:15 +10:30
      '2026-10-03T14:45:00.000Z', // 01:15 +10:30
      '2026-10-03T16:15:00.000Z', // 03:15 +11 (02:15 does not exist)
    ]);
  });
});

describe('CronSchedule.latestSlots', () => {
  const s = CronSchedule.parse('*/5 * * * *');

  it('returns every slot in [from, at], oldest first, bounds inclusive', () => {
    const slots = s.latestSlots(at('2026-01-01T10:00:00Z'), at('2026-01-01T10:20:00Z'), 10);
    expect(slots.map(iso)).toEqual([
      '2026-01-01T10:00:00.000Z',
      '2026-01-01T10:05:00.000Z',
      '2026-01-01T10:10:00.000Z',
      '2026-01-01T10:15:00.000Z',
      '2026-01-01T10:20:00.000Z',
    ]);
  });

  it('keeps the most recent slots when the limit cuts, still oldest first', () => {
    const slots = s.latestSlots(at('2025-12-01T00:00:00Z'), at('2026-01-01T10:22:00Z'), 3);
    expect(slots.map(iso)).toEqual([
      '2026-01-01T10:10:00.000Z',
      '2026-01-01T10:15:00.000Z',
      '2026-01-01T10:20:00.000Z',
    ]);
    expect(s.latestSlots(at('2025-12-01T00:00:00Z'), at('2026-01-01T10:22:00Z'), 1).map(iso)).toEqual([
      '2026-01-01T10:20:00.000Z',
    ]);
  });

  it('excludes slots just outside the bounds', () => {
    const slots = s.latestSlots(at('2026-01-01T10:00:00.001Z'), at('2026-01-01T10:19:59.999Z'), 10);
    expect(slots.map(iso)).toEqual([
      '2026-01-01T10:05:00.000Z',
      '2026-01-01T10:10:00.000Z',
      '2026-01-01T10:15:00.000Z',
    ]);
  });

  it('returns nothing when no slot falls in the range or the limit is 0', () => {
    expect(s.latestSlots(at('2026-01-01T10:01:00Z'), at('2026-01-01T10:04:00Z'), 10)).toEqual([]);
    expect(s.latestSlots(at('2026-01-01T10:00:00Z'), at('2026-01-01T10:20:00Z'), 0)).toEqual([]);
  });

  it('works with seconds', () => {
    const everySecond = CronSchedule.parse('* * * * * *');
    const slots = everySecond.latestSlots(at('2026-01-01T10:00:00.500Z'), at('2026-01-01T10:00:03.500Z'), 10);
    expect(slots.map(iso)).toEqual([
      '2026-01-01T10:00:01.000Z',
      '2026-01-01T10:00:02.000Z',
      '2026-01-01T10:00:03.000Z',
    ]);
  });
});
