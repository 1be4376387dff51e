/** The dashboard's cron-to-words function (a plain browser module, tested here under Node). */
import { cronToWords } from '../src/dashboard/assets/cron-words.js';

describe('cronToWords', () => {
  it.each([
    ['* * * * * *', 'every second'],
    ['*/10 * * * * *', 'every 10 seconds'],
    ['*/1 * * * * *', 'every second'],
    ['0 * * * * *', 'every minute'],
    ['15 * * * * *', 'every minute at second 15'],
    ['* * * * *', 'every minute'],
    ['*/5 * * * *', 'every 5 minutes'],
    ['0/15 * * * *', 'every 15 minutes'],
    ['0 */5 * * * *', 'every 5 minutes'],
    ['0 * * * *', 'hourly at :00'],
    ['7 * * * *', 'hourly at :07'],
    ['0 */2 * * *', 'every 2 hours'],
    ['30 */6 * * *', 'every 6 hours at :30'],
    ['0 9 * * *', 'daily at 09:00'],
    ['30 0 9 * * *', 'daily at 09:00:30'],
    ['30 9 * * 1-5', 'weekdays at 09:30'],
    ['30 9 * * MON-FRI', 'weekdays at 09:30'],
    ['0 10 * * 0,6', 'weekends at 10:00'],
    ['0 10 * * sat,sun', 'weekends at 10:00'],
    ['0 10 * * 6-7', 'weekends at 10:00'],
    ['0 8 * * 1', 'every Monday at 08:00'],
    ['0 8 * * 7', 'every Sunday at 08:00'],
    ['0 8 * * 1,3,5', 'every Monday, Wednesday and Friday at 08:00'],
    ['0 8 * * 0-6', 'daily at 08:00'],
    ['0 3 1 * *', 'monthly on day 1 at 03:00'],
    ['0 0 1 1 *', 'yearly on January 1 at 00:00'],
    ['0 12 25 dec *', 'yearly on December 25 at 12:00'],
  ])('%s → %s', (expression, words) => {
    expect(cronToWords(expression)).toBe(words);
  });

  it.each([
    '0 9-17 * * *',
    '? 9 * * *',
    '*/7 9 * * *',
    '0 9 * * 1#2',
    '0 9 L * *',
    '0 9 1 * 1',
    '15 */5 * * * *',
    '0 25 * * *',
    '1 2 3',
    '1 2 3 4 5 6 7',
    '',
  ])('falls back to the raw expression for %j', (expression) => {
    expect(cronToWords(`  ${expression} `)).toBe(expression);
  });
});
