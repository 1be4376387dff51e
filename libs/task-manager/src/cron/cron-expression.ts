/**
 * The cron input rule, in one place: what a cron expression may be, whoever gives it (`@Task`, a dynamic task
 * created through `TaskManagerService` or through `POST /tasks`). `CronSchedule.validate` and `CronSchedule.parse`
 * call it; nothing else decides whether an expression is acceptable.
 */
import { CronExpressionParser } from 'cron-parser';

/** Longest cron expression accepted. */
export const MAX_CRON_LENGTH = 256;

/**
 * Nicknames accepted in place of an expression: those of the `cron` package (so of `@nestjs/schedule`), plus
 * `@annually` and `@midnight`, the classic cron spellings of `@yearly` and `@daily`.
 */
export const CRON_NICKNAMES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Fields of a 6-field expression (seconds first) with their largest value; 5 fields drop the first. */
const FIELDS: ReadonlyArray<{ name: string; max: number }> = [
  { name: 'second', max: 59 },
  { name: 'minute', max: 59 },
  { name: 'hour', max: 23 },
  { name: 'day of month', max: 31 },
  { name: 'month', max: 12 },
  { name: 'day of week', max: 7 },
];

/** The expression's fields as cron-parser reads them: a nickname replaced by its 5 fields, whitespace trimmed. */
export function toCronFields(expression: string): string {
  const trimmed = expression.trim();
  return CRON_NICKNAMES[trimmed.toLowerCase()] ?? trimmed;
}

/**
 * Expressions found acceptable, as given (bounded, oldest dropped first: dynamic tasks may bring many). A
 * dynamic task's definition is checked again at every sync of every instance: a parse by cron-parser (and its
 * luxon dates) each time was most of the cost of a sync. Only accepted expressions are kept; a refused one is
 * checked again, so its message is always computed the same way.
 */
const accepted = new Set<string>();
const MAX_ACCEPTED = 10_000;

/**
 * Why `expression` is not an acceptable cron expression, or undefined: 5 fields (minute hour day month weekday),
 * 6 with seconds first, or a nickname (`@daily`...); every value and step within its field (a minute step of 61
 * is refused rather than silently meaning "once an hour").
 */
export function cronExpressionProblem(expression: unknown): string | undefined {
  if (typeof expression === 'string' && accepted.has(expression)) return undefined;
  const problem = expressionProblem(expression);
  if (problem === undefined) {
    if (accepted.size >= MAX_ACCEPTED) accepted.delete(accepted.values().next().value!);
    accepted.add(expression as string);
  }
  return problem;
}

/** `cronExpressionProblem` without the cache. */
function expressionProblem(expression: unknown): string | undefined {
  if (typeof expression !== 'string' || expression.trim() === '') return 'cron expression is empty';
  if (expression.length > MAX_CRON_LENGTH) return `cron expression must be at most ${MAX_CRON_LENGTH} characters`;
  const trimmed = expression.trim();
  if (trimmed.startsWith('@') && CRON_NICKNAMES[trimmed.toLowerCase()] === undefined) {
    return `unknown cron nickname ${JSON.stringify(trimmed)} (accepted: ${Object.keys(CRON_NICKNAMES).join(', ')})`;
  }
  const fields = toCronFields(trimmed).split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `cron expression "${expression}" has ${fields.length} field(s); expected 5 (minute hour day month weekday) or 6 (second first)`;
  }
  const named = fields.length === 6 ? FIELDS : FIELDS.slice(1);
  for (let i = 0; i < fields.length; i++) {
    const problem = stepProblem(fields[i], named[i]);
    if (problem) return `invalid cron expression "${expression}": ${problem}`;
  }
  try {
    CronExpressionParser.parse(fields.join(' '), { tz: 'UTC' }).next();
  } catch (error) {
    return `invalid cron expression "${expression}": ${(error as Error).message}`;
  }
  return undefined;
}

/** A step (`/n`) of a field must be between 1 and the field's largest value. */
function stepProblem(field: string, { name, max }: { name: string; max: number }): string | undefined {
  for (const match of field.matchAll(/\/(\d*)/g)) {
    const step = Number(match[1]);
    if (match[1] === '' || !Number.isInteger(step) || step < 1 || step > max) {
      return `${name} step "/${match[1]}" must be between 1 and ${max}`;
    }
  }
  return undefined;
}
