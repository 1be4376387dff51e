import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { isValidTimeZone } from '../src/cron/cron-schedule.js';
import { cachedTimeZoneCount, TIME_ZONE_CACHE_LIMIT, zoneOffset } from '../src/cron/time-zone.js';

/** The garbage collector, exposed for this test (heap measurements need a full collection). */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Heap growth (bytes) retained by `work`, measured between two full collections. */
function retainedBy(work: () => void): number {
  const gc = exposeGc();
  gc();
  const before = process.memoryUsage().heapUsed;
  work();
  gc();
  return process.memoryUsage().heapUsed - before;
}

describe('isValidTimeZone', () => {
  it('remembers nothing of invalid names: 30,000 distinct ones retain less than 2 MB', () => {
    const padding = 'x'.repeat(90);
    const retained = retainedBy(() => {
      for (let i = 0; i < 30_000; i++) {
        if (isValidTimeZone(`Mars/Olympus_${i}_${padding}`)) throw new Error('accepted an invalid zone');
      }
    });
    expect(retained).toBeLessThan(2 * 1024 * 1024);
    expect(isValidTimeZone('Mars/Olympus_1')).toBe(false);
  });

  it('keeps at most TIME_ZONE_CACHE_LIMIT valid names, however many case variants are asked', () => {
    const name = 'America/Argentina/ComodRivadavia';
    const letters = [...name].map((c, i) => [i, c] as const).filter(([, c]) => /[a-z]/i.test(c));
    for (let variant = 0; variant < TIME_ZONE_CACHE_LIMIT + 300; variant++) {
      const chars = [...name];
      letters.forEach(([i, c], bit) => (chars[i] = (variant >> bit) & 1 ? c.toUpperCase() : c.toLowerCase()));
      expect(isValidTimeZone(chars.join(''))).toBe(true);
    }
    expect(cachedTimeZoneCount()).toBeLessThanOrEqual(TIME_ZONE_CACHE_LIMIT);
  });
});

describe('zoneOffset', () => {
  it('is the wall clock minus UTC, to the second, across DST and for odd offsets', () => {
    const HOUR = 3_600_000;
    expect(zoneOffset('UTC', Date.parse('2026-07-01T12:00:00.250Z'))).toBe(0);
    expect(zoneOffset('Europe/Paris', Date.parse('2026-01-15T12:00:00Z'))).toBe(HOUR);
    expect(zoneOffset('Europe/Paris', Date.parse('2026-07-15T12:00:00.999Z'))).toBe(2 * HOUR);
    // The fall-back instant: 01:00Z is 02:00 CET (the first instant of the new offset).
    expect(zoneOffset('Europe/Paris', Date.parse('2026-10-25T00:59:59.999Z'))).toBe(2 * HOUR);
    expect(zoneOffset('Europe/Paris', Date.parse('2026-10-25T01:00:00Z'))).toBe(HOUR);
    expect(zoneOffset('Asia/Kathmandu', Date.parse('2026-01-01T00:00:00Z'))).toBe(5.75 * HOUR);
    expect(zoneOffset('America/St_Johns', Date.parse('2026-01-01T00:00:00Z'))).toBe(-3.5 * HOUR);
    expect(() => zoneOffset('Mars/Olympus', 0)).toThrow(RangeError);
  });
});
