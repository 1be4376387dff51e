// Formatting of instants and durations for the dashboard.

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const time = { hour: '2-digit', minute: '2-digit', second: '2-digit' };
const thisYear = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', ...time });
const otherYear = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', ...time });
const UNITS = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/**
 * `in 5 minutes`, `12 seconds ago`, `now`.
 * @param {number} ms epoch milliseconds
 * @param {number} [now]
 */
export function relativeTime(ms, now = Date.now()) {
  const seconds = (ms - now) / 1000;
  if (Math.abs(seconds) < 1) return 'now';
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'second') return relative.format(Math.round(seconds / size), unit);
  }
  return '';
}

/** The instant in the browser's locale and time zone (the year only when it is not the current one). */
export function absoluteTime(ms, now = Date.now()) {
  const date = new Date(ms);
  return (date.getFullYear() === new Date(now).getFullYear() ? thisYear : otherYear).format(date);
}

/** A duration in seconds, readably: `850 ms`, `1.2 s`, `3 min 5 s`. */
export function duration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '—';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${Number(seconds.toFixed(seconds < 10 ? 2 : 1))} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Milliseconds of an ISO instant, or null. */
export function parseTime(iso) {
  if (typeof iso !== 'string') return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * The header's badge of the coordination backend, from `GET /health`: the in-process driver, or whether
 * Redis answers.
 * @param {{ driver?: string, redis_connected?: boolean }} health
 * @returns {{ kind: 'ok' | 'bad' | 'neutral', text: string }}
 */
export function backendBadge(health) {
  if (health.driver === 'memory') return { kind: 'neutral', text: 'In-process driver (no Redis)' };
  return health.redis_connected ? { kind: 'ok', text: 'Redis connected' } : { kind: 'bad', text: 'Redis unreachable' };
}
