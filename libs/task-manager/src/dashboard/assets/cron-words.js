// Cron expression → short English words, for the dashboard's "Schedule" column. Covers the common
// patterns (every N seconds/minutes/hours, hourly at :MM, daily/weekdays/weekends/a weekday at HH:MM,
// monthly, yearly); anything else is returned as the raw expression. Plain ES module, no dependency.

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const DAY_NUMBERS = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const MONTH_NUMBERS = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

const isAny = (field) => field === '*' || field === '?';

/** A plain number within [min, max], else null. */
function number(field, min, max) {
  if (!/^\d{1,2}$/.test(field)) return null;
  const value = Number(field);
  return value >= min && value <= max ? value : null;
}

/** N of `*∕N` or `0∕N` (every N units from 0), else null. */
function step(field) {
  const match = /^(?:\*|0)\/(\d{1,3})$/.exec(field);
  const value = match ? Number(match[1]) : 0;
  return value > 0 ? value : null;
}

/** A weekday (0-7 or a three-letter name), as 0-6; else null. */
function weekday(field) {
  const named = DAY_NUMBERS[field.toLowerCase()];
  if (named !== undefined) return named;
  const value = number(field, 0, 7);
  return value === null ? null : value % 7;
}

/** Weekdays of a day-of-week field made of single days and ranges, as a sorted set of 0-6; else null. */
function weekdays(field) {
  const days = new Set();
  for (const part of field.split(',')) {
    const range = part.split('-');
    if (range.length === 1) {
      const day = weekday(part);
      if (day === null) return null;
      days.add(day);
    } else if (range.length === 2) {
      const from = weekday(range[0]);
      const to = range[1] === '7' ? 7 : weekday(range[1]);
      if (from === null || to === null || to < from) return null;
      for (let day = from; day <= to; day++) days.add(day % 7);
    } else {
      return null;
    }
  }
  return [...days].sort((a, b) => a - b);
}

const pad = (value) => String(value).padStart(2, '0');
const every = (count, unit) => (count === 1 ? `every ${unit}` : `every ${count} ${unit}s`);

/** `a`, `a and b`, `a, b and c`. */
function list(items) {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * Describes a cron expression (5 fields, or 6 with seconds first) in words, e.g. `'*∕5 * * * *'` →
 * `'every 5 minutes'`, `'30 9 * * 1-5'` → `'weekdays at 09:30'`. Returns the expression itself (trimmed)
 * when it is not one of the common patterns.
 * @param {string} expression
 * @returns {string}
 */
export function cronToWords(expression) {
  const raw = String(expression ?? '').trim();
  const fields = raw.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return raw;
  const [second, minute, hour, dayOfMonth, month, dayOfWeek] = fields.length === 6 ? fields : ['0', ...fields];
  const anyDate = isAny(dayOfMonth) && isAny(month) && isAny(dayOfWeek);
  const sec = number(second, 0, 59);
  const min = number(minute, 0, 59);
  const hr = number(hour, 0, 23);

  if (anyDate && isAny(hour) && isAny(minute)) {
    if (isAny(second)) return 'every second';
    if (step(second) !== null) return every(step(second), 'second');
    if (sec === 0) return 'every minute';
    if (sec !== null) return `every minute at second ${sec}`;
    return raw;
  }
  if (sec !== 0) {
    // Seconds other than 0 only with a fixed time of day, handled below.
    if (sec === null || min === null || hr === null) return raw;
  }
  if (anyDate && isAny(hour)) {
    if (step(minute) !== null) return every(step(minute), 'minute');
    if (min !== null) return `hourly at :${pad(min)}`;
    return raw;
  }
  if (anyDate && min !== null && step(hour) !== null) {
    return min === 0 ? every(step(hour), 'hour') : `${every(step(hour), 'hour')} at :${pad(min)}`;
  }
  if (min === null || hr === null) return raw;

  const time = `${pad(hr)}:${pad(min)}${sec === 0 ? '' : `:${pad(sec)}`}`;
  if (anyDate) return `daily at ${time}`;
  if (isAny(dayOfMonth) && isAny(month)) {
    const days = weekdays(dayOfWeek);
    if (days === null) return raw;
    const key = days.join(',');
    if (key === '1,2,3,4,5') return `weekdays at ${time}`;
    if (key === '0,6') return `weekends at ${time}`;
    if (days.length === 7) return `daily at ${time}`;
    return `every ${list(days.map((day) => DAYS[day]))} at ${time}`;
  }
  const day = number(dayOfMonth, 1, 31);
  if (day === null || !isAny(dayOfWeek)) return raw;
  if (isAny(month)) return `monthly on day ${day} at ${time}`;
  const monthNumber = MONTH_NUMBERS[month.toLowerCase()] ?? number(month, 1, 12);
  if (monthNumber === null) return raw;
  return `yearly on ${MONTHS[monthNumber - 1]} ${day} at ${time}`;
}
