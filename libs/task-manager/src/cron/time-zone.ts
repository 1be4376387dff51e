/**
 * What this runtime knows of IANA time zones: whether a name is one, and a zone's UTC offset at an instant.
 * Both rest on one `Intl.DateTimeFormat` per zone (building one costs ~0.1 ms), kept in a bounded cache of
 * valid names only: a failure is never cached, and case variants or aliases of valid names (all accepted by
 * Intl) cannot make the cache grow past {@link TIME_ZONE_CACHE_LIMIT}.
 */

/** Most zone names whose formatter is kept (least recently added dropped first). */
export const TIME_ZONE_CACHE_LIMIT = 1000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The formatter of `zone` (wall-clock fields, 24-hour), or undefined when `zone` is not a time zone. */
function formatterOf(zone: string): Intl.DateTimeFormat | undefined {
  let formatter = formatters.get(zone);
  if (formatter) return formatter;
  if (zone.length === 0) return undefined;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return undefined;
  }
  if (formatters.size >= TIME_ZONE_CACHE_LIMIT) formatters.delete(formatters.keys().next().value!);
  formatters.set(zone, formatter);
  return formatter;
}

/** Whether `zone` is an IANA time zone this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  return formatterOf(zone) !== undefined;
}

/** Whether `zone` is UTC under some name (`UTC`, `Etc/UTC`, `GMT`, `Zulu`…): its offset is always 0. */
export function isUtcZone(zone: string): boolean {
  return formatterOf(zone)?.resolvedOptions().timeZone === 'UTC';
}

/** How many zone names are cached (for tests of the bound). */
export function cachedTimeZoneCount(): number {
  return formatters.size;
}

/**
 * Offset of `zone` from UTC at the instant `ms`, in milliseconds (wall clock = `ms` + offset), to the second.
 * @throws RangeError when `zone` is not a time zone
 */
export function zoneOffset(zone: string, ms: number): number {
  const formatter = formatterOf(zone);
  if (!formatter) throw new RangeError(`unknown time zone ${JSON.stringify(zone)}`);
  const fields: Record<string, number> = {};
  for (const part of formatter.formatToParts(ms)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wall = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
  return wall - (ms - mod(ms, 1000));
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
