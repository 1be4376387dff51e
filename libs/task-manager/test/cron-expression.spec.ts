/**
 * The one cron input rule (`cron/cron-expression.ts`), as every entry point applies it: `@Task`, dynamic tasks
 * through the service and through the API all call `CronSchedule.validate`, which delegates to it.
 */
import { CronExpressionParser } from 'cron-parser';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CRON_NICKNAMES, cronExpressionProblem, toCronFields } from '../src/cron/cron-expression.js';
import { CronSchedule } from '../src/cron/cron-schedule.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

describe('cron nicknames', () => {
  it.each([
    ['@yearly', '2027-01-01T00:00:00.000Z'],
    ['@annually', '2027-01-01T00:00:00.000Z'],
    ['@monthly', '2026-04-01T00:00:00.000Z'],
    ['@weekly', '2026-03-15T00:00:00.000Z'],
    ['@daily', '2026-03-11T00:00:00.000Z'],
    ['@midnight', '2026-03-11T00:00:00.000Z'],
    ['@hourly', '2026-03-10T13:00:00.000Z'],
  ])('accepts %s and schedules it as the `cron` package does (next after 2026-03-10T12:34Z: %s)', (nickname, next) => {
    expect(cronExpressionProblem(nickname)).toBeUndefined();
    expect(CronSchedule.validate(nickname, 'UTC')).toBeUndefined();
    expect(iso(CronSchedule.parse(nickname, 'UTC').nextAfter(at('2026-03-10T12:34:00Z')))).toBe(next);
  });

  it('is case-insensitive and ignores surrounding whitespace, like the `cron` package', () => {
    expect(cronExpressionProblem('  @Daily ')).toBeUndefined();
    expect(toCronFields('  @DAILY ')).toBe('0 0 * * *');
  });

  it('keeps a nickname in the task time zone (09:00 is not involved: midnight Paris is 23:00Z in winter)', () => {
    expect(iso(CronSchedule.parse('@daily', 'Europe/Paris').nextAfter(at('2026-01-10T12:00:00Z')))).toBe(
      '2026-01-10T23:00:00.000Z',
    );
  });

  it('lists exactly the seven nicknames of the issue', () => {
    expect(Object.keys(CRON_NICKNAMES).sort()).toEqual(
      ['@annually', '@daily', '@hourly', '@midnight', '@monthly', '@weekly', '@yearly'].sort(),
    );
  });

  it('rejects other @-words, listing the accepted ones', () => {
    const problem = cronExpressionProblem('@reboot');
    expect(problem).toMatch(/unknown cron nickname "@reboot"/);
    expect(problem).toMatch(/@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly/);
    expect(cronExpressionProblem('@minutely')).toMatch(/unknown cron nickname/);
    expect(cronExpressionProblem('@daily *')).toMatch(/unknown cron nickname "@daily \*"/);
  });
});

describe('cron steps', () => {
  it.each([
    ['*/61 * * * *', 'minute', 59],
    ['*/60 * * * *', 'minute', 59],
    ['0 */24 * * *', 'hour', 23],
    ['0 0 */32 * *', 'day of month', 31],
    ['0 0 * */13 *', 'month', 12],
    ['0 0 * * */8', 'day of week', 7],
    ['*/61 * * * * *', 'second', 59],
    ['0 */61 * * * *', 'minute', 59],
    ['5-40/99 * * * *', 'minute', 59],
    ['1,*/70 * * * *', 'minute', 59],
  ])('rejects %j: a %s step above %i', (expression, field, max) => {
    const problem = cronExpressionProblem(expression);
    expect(problem).toMatch(new RegExp(`^invalid cron expression "${expression.replace(/[*/]/g, '\\$&')}": `));
    expect(problem).toContain(`${field} step`);
    expect(problem).toContain(`between 1 and ${max}`);
    expect(CronSchedule.validate(expression, 'UTC')).toBe(problem);
  });

  it.each([
    '*/59 * * * *',
    '0 */23 * * *',
    '0 0 */31 * *',
    '0 0 * */12 *',
    '0 0 * * */7',
    '*/5 * * * * *',
    '0 9-17/2 * * MON-FRI',
  ])('accepts %j', (expression) => {
    expect(cronExpressionProblem(expression)).toBeUndefined();
  });

  it('rejects a zero step', () => {
    expect(cronExpressionProblem('*/0 * * * *')).toMatch(/minute step "\/0" must be between 1 and 59/);
  });
});

describe('the cron rule is one rule', () => {
  it('checks the length (at most 256 characters)', () => {
    expect(cronExpressionProblem(`${'1,'.repeat(200)}2 * * * *`)).toMatch(/at most 256 characters/);
  });

  it('keeps the field-count message', () => {
    expect(cronExpressionProblem('* * *')).toMatch(
      /has 3 field\(s\); expected 5 \(minute hour day month weekday\) or 6/,
    );
  });
});

describe('accepted expressions are remembered (issue 17: a dynamic task is checked again at every sync)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('parses an accepted expression once, and a refused one every time (same message)', () => {
    const parse = vi.spyOn(CronExpressionParser, 'parse');
    expect(cronExpressionProblem('7 3 * * 2')).toBeUndefined();
    expect(cronExpressionProblem('7 3 * * 2')).toBeUndefined();
    expect(cronExpressionProblem('7 3 * * 2')).toBeUndefined();
    expect(parse).toHaveBeenCalledTimes(1);
    const refused = cronExpressionProblem('7 3 30 2 *');
    expect(refused).toMatch(/invalid cron expression "7 3 30 2 \*"/);
    expect(cronExpressionProblem('7 3 30 2 *')).toBe(refused);
    expect(parse).toHaveBeenCalledTimes(3);
  });

  it('remembers at most 10,000 expressions, the oldest dropped first', () => {
    expect(cronExpressionProblem('11 4 * * 3')).toBeUndefined();
    // 10,000 others (minute, hour and day of month), the last one "39 22 7 * *".
    const others = Array.from(
      { length: 10_000 },
      (_, i) => `${i % 60} ${Math.floor(i / 60) % 24} ${Math.floor(i / 1440) + 1} * *`,
    );
    expect(others.filter((expression) => cronExpressionProblem(expression) !== undefined)).toEqual([]);
    expect(others.at(-1)).toBe('39 22 7 * *');
    const parse = vi.spyOn(CronExpressionParser, 'parse');
    expect(cronExpressionProblem('11 4 * * 3')).toBeUndefined();
    expect(parse).toHaveBeenCalledTimes(1);
    expect(cronExpressionProblem('39 22 7 * *')).toBeUndefined();
    expect(parse).toHaveBeenCalledTimes(1);
  });
});
