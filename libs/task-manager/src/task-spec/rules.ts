/**
 * The value rules of a task's fields, each returning the problem (after the subject: `must be a string`) or
 * undefined. Entry points name the subject their own way (`retry_backoff` over HTTP, `retryBackoff` elsewhere).
 */
import { cronExpressionProblem } from '../cron/cron-expression.js';
import { isValidTimeZone } from '../cron/time-zone.js';

/** A rule: the problem with `value`, or undefined. */
export type Rule = (value: unknown) => string | undefined;

/** What to do with slots missed while no leader ran. */
export const MISFIRE_POLICIES = ['runOnce', 'skip', 'runAll'] as const;
/** Longest retry backoff, in seconds (one year). */
export const MAX_BACKOFF_SECONDS = 31_536_000;
/** Most tags a task or group declares. */
export const MAX_TAGS = 100;
/** Longest tag. */
export const MAX_TAG_LENGTH = 200;
/** Longest description. */
export const MAX_DESCRIPTION_LENGTH = 10_000;
/** Longest time zone name. */
export const MAX_TIME_ZONE_LENGTH = 100;

/** A cron expression accepted by the library's one cron rule (`cron/cron-expression.ts`). */
export const cronRule: Rule = (value) => {
  if (value === undefined || value === null) return 'is required';
  if (typeof value !== 'string') return 'must be a string';
  if (value.trim() === '') return 'must not be empty';
  const problem = cronExpressionProblem(value);
  return problem ? `is invalid: ${problem}` : undefined;
};

/** An IANA time zone name known to this runtime (`cron/time-zone.ts`). */
export const timeZoneRule: Rule = (value) => {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > MAX_TIME_ZONE_LENGTH || !isValidTimeZone(value))
    return `must be an IANA time zone such as "Europe/Paris" (got ${JSON.stringify(value).slice(0, 110)})`;
  return undefined;
};

/** A backoff delay: a finite number of seconds > 0 and at most one year. */
export const backoffRule: Rule = (value) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
  return value > 0 && value <= MAX_BACKOFF_SECONDS
    ? undefined
    : `must be > 0 and at most ${MAX_BACKOFF_SECONDS} (seconds)`;
};

/** A largest backoff not below the first one (`first` and its subject, when given). */
export function backoffMaxProblem(max: unknown, first: unknown, firstSubject: string): string | undefined {
  if (typeof max !== 'number' || typeof first !== 'number') return undefined;
  return max >= first ? undefined : `must be >= ${firstSubject} (${first})`;
}

/** A list of at most 100 non-blank tags of at most 200 characters each. */
export const tagsRule: Rule = (value) => {
  if (!Array.isArray(value)) return 'must be an array of strings';
  if (value.length > MAX_TAGS) return `must have at most ${MAX_TAGS} entries`;
  const bad = value.findIndex((tag) => typeof tag !== 'string' || tag.trim() === '' || tag.length > MAX_TAG_LENGTH);
  return bad < 0 ? undefined : `[${bad}] must be a non-empty string of at most ${MAX_TAG_LENGTH} characters`;
};

/** A string of at most `max` characters. */
export const textRule =
  (max: number): Rule =>
  (value) => {
    if (typeof value !== 'string') return 'must be a string';
    return value.length <= max ? undefined : `must be at most ${max} characters`;
  };

/** A description: a string of at most 10,000 characters. */
export const descriptionRule: Rule = textRule(MAX_DESCRIPTION_LENGTH);

/** A strict boolean (`true` / `false`, not `"true"`): high priority, allow parallel, register. */
export const flagRule: Rule = (value) => (typeof value === 'boolean' ? undefined : 'must be true or false');

/** Attempts per slot: an integer >= 1. */
export const maxAttemptsRule: Rule = (value) =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 ? undefined : 'must be an integer >= 1';

/** A run timeout: a finite number of milliseconds > 0. */
export const timeoutMsRule: Rule = (value) =>
  typeof value === 'number' && Number.isFinite(value) && value > 0
    ? undefined
    : `must be a positive number (got ${JSON.stringify(value)})`;

/** One of {@link MISFIRE_POLICIES}. */
export const misfirePolicyRule: Rule = (value) =>
  (MISFIRE_POLICIES as readonly unknown[]).includes(value)
    ? undefined
    : `must be one of ${MISFIRE_POLICIES.join(', ')} (got ${JSON.stringify(value)})`;
