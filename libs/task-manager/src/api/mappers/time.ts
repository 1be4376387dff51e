const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00Z: from there (and before 1970) `toISOString` writes extended years; left to it. */
const YEAR_10000_MS = 253_402_300_800_000;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/** The `YYYY-MM-DDT` of the last day written: a listing writes many instants of the same few days. */
let cachedDay = Number.NaN;
let cachedDayPrefix = '';

/**
 * An epoch-milliseconds instant as ISO-8601 UTC with a `Z`, as FastAPI/pydantic writes it: without a
 * fraction when it is whole seconds (`2026-03-08T10:05:00Z`), else with milliseconds. Exactly
 * `new Date(ms).toISOString()` (without `.000`), the time of day computed here rather than by a Date.
 */
export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms < YEAR_10000_MS)) return new Date(ms).toISOString().replace('.000Z', 'Z');
  const whole = Math.floor(ms); // a Date truncates a fraction of a millisecond
  const day = Math.floor(whole / DAY_MS);
  if (day !== cachedDay) {
    cachedDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    cachedDay = day;
  }
  let rest = whole - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  const time = `${cachedDayPrefix}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}`;
  return millis === 0 ? `${time}Z` : `${time}.${String(millis).padStart(3, '0')}Z`;
}

/** `isoTime`, or null for a missing or non-finite instant. */
export function isoTimeOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? null : isoTime(ms);
}
