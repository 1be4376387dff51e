/**
 * class-validator decorators of the API's DTOs. Each one checks a whole property (type included) and
 * gives one message naming it, so a client gets one actionable line per bad field.
 */
import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { CronSchedule, isValidTimeZone } from '../../cron/cron-schedule.js';
import { MAX_NAME_LENGTH } from '../../registry/task-factory.js';

/** Longest cron expression accepted. */
export const MAX_CRON_LENGTH = 256;
/** Deepest nesting of kwargs objects and arrays accepted. */
export const MAX_KWARGS_DEPTH = 32;
/** Keys refused anywhere in a request body (prototype pollution). */
export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** True when `text` contains a C0 control character or DEL. */
const hasControlCharacter = (text: string) => [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

type Check = (value: unknown, args: ValidationArguments) => string | undefined;

/** A decorator validating with `check`, which returns the problem (after the property name) or undefined. */
function validateWith(name: string, check: Check, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value, args) => check(value, args!) === undefined,
        defaultMessage: (args) => `${args!.property} ${check(args!.value, args!) ?? 'is invalid'}`,
      },
    },
    options,
  );
}

function nameProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return 'is required';
  if (typeof value !== 'string') return 'must be a string';
  if (value.trim() === '') return 'must not be empty';
  if (value.length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`;
  return undefined;
}

/** A non-blank string of at most 1024 characters (a group, task, function name or tag to look up). */
export function IsLookupName(options?: ValidationOptions): PropertyDecorator {
  return validateWith('isLookupName', nameProblem, options);
}

/**
 * A name for a new task: a lookup name without control characters or surrounding whitespace, and not
 * `.` or `..`. (Any other character, `/` included, is fine: names are percent-encoded in keys and URLs.)
 */
export function IsNewTaskName(options?: ValidationOptions): PropertyDecorator {
  return validateWith(
    'isNewTaskName',
    (value) => {
      const problem = nameProblem(value);
      if (problem) return problem;
      const name = value as string;
      if (hasControlCharacter(name)) return 'must not contain control characters';
      if (name !== name.trim()) return 'must not start or end with whitespace';
      if (name === '.' || name === '..') return 'must not be "." or ".."';
      return undefined;
    },
    options,
  );
}

/** A valid 5-field (or 6-field, seconds first) cron expression. */
export function IsCronExpression(options?: ValidationOptions): PropertyDecorator {
  return validateWith(
    'isCronExpression',
    (value) => {
      if (value === undefined || value === null) return 'is required';
      if (typeof value !== 'string') return 'must be a string';
      if (value.trim() === '') return 'must not be empty';
      if (value.length > MAX_CRON_LENGTH) return `must be at most ${MAX_CRON_LENGTH} characters`;
      const problem = CronSchedule.validate(value, 'UTC');
      return problem ? `is invalid: ${problem}` : undefined;
    },
    options,
  );
}

/** An IANA time zone name known to this runtime. */
export function IsTimeZoneName(options?: ValidationOptions): PropertyDecorator {
  return validateWith(
    'isTimeZoneName',
    (value) => {
      if (typeof value !== 'string') return 'must be a string';
      if (value.length > 100 || !isValidTimeZone(value))
        return `must be an IANA time zone such as "Europe/Paris" (got ${JSON.stringify(value).slice(0, 110)})`;
      return undefined;
    },
    options,
  );
}

/** A JSON object (not an array) nested at most 32 levels deep. */
export function IsKwargs(options?: ValidationOptions): PropertyDecorator {
  return validateWith(
    'isKwargs',
    (value) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be a JSON object';
      return depthOf(value) > MAX_KWARGS_DEPTH
        ? `must not be nested more than ${MAX_KWARGS_DEPTH} levels deep`
        : undefined;
    },
    options,
  );
}

/** A finite number of seconds > 0 and at most one year. */
export function IsPositiveSeconds(options?: ValidationOptions): PropertyDecorator {
  return validateWith(
    'isPositiveSeconds',
    (value) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      return value > 0 && value <= 31_536_000 ? undefined : 'must be > 0 and at most 31536000 (seconds)';
    },
    options,
  );
}

/** A number property that must not be lower than the (present) number property `other`. */
export function IsNotBelow(other: string, options?: ValidationOptions): PropertyDecorator {
  return validateWith(
    'isNotBelow',
    (value, args) => {
      const bound = (args.object as Record<string, unknown>)[other];
      if (typeof value !== 'number' || typeof bound !== 'number') return undefined;
      return value >= bound ? undefined : `must be >= ${other} (${bound})`;
    },
    options,
  );
}

/** A list of at most 100 distinct-or-not non-blank tags of at most 200 characters each. */
export function IsTagList(options?: ValidationOptions): PropertyDecorator {
  return validateWith(
    'isTagList',
    (value) => {
      if (!Array.isArray(value)) return 'must be an array of strings';
      if (value.length > 100) return 'must have at most 100 entries';
      const bad = value.findIndex((tag) => typeof tag !== 'string' || tag.trim() === '' || tag.length > 200);
      return bad < 0 ? undefined : `[${bad}] must be a non-empty string of at most 200 characters`;
    },
    options,
  );
}

/** A string of at most `max` characters. */
export function IsText(max: number, options?: ValidationOptions): PropertyDecorator {
  return validateWith(
    'isText',
    (value) => {
      if (typeof value !== 'string') return 'must be a string';
      return value.length <= max ? undefined : `must be at most ${max} characters`;
    },
    options,
  );
}

/** A strict boolean (`true` / `false`, not `"true"`). */
export function IsStrictBoolean(options?: ValidationOptions): PropertyDecorator {
  return validateWith(
    'isStrictBoolean',
    (value) => (typeof value === 'boolean' ? undefined : 'must be true or false'),
    options,
  );
}

/** A query-string integer within [min, max]: digits only, converted to a number. */
export function IsQueryInteger(min: number, max = Number.MAX_SAFE_INTEGER): PropertyDecorator {
  const transform = Transform(({ value }) =>
    typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value,
  );
  const validate = validateWith('isQueryInteger', (value) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max
      ? undefined
      : `must be an integer between ${min} and ${max}`,
  );
  return (target, key) => {
    transform(target, key);
    validate(target, key);
  };
}

/** Keeps the raw request value of the property (class-transformer would copy it, silently dropping some keys). */
export const KeepRaw = (): PropertyDecorator =>
  Transform(({ obj, key }) => (obj as Record<string, unknown>)[key], { toClassOnly: true });

/** Path of the first forbidden key (`__proto__`, `constructor`, `prototype`) in `value`, if any. */
export function findForbiddenKey(value: unknown, path = 'body', depth = 0): string | undefined {
  if (typeof value !== 'object' || value === null || depth > MAX_KWARGS_DEPTH + 2) return undefined;
  for (const key of Object.keys(value)) {
    const here = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`;
    if (!Array.isArray(value) && FORBIDDEN_KEYS.includes(key)) return here;
    const found = findForbiddenKey((value as Record<string, unknown>)[key], here, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function depthOf(value: unknown, depth = 1): number {
  if (typeof value !== 'object' || value === null) return depth - 1;
  if (depth > MAX_KWARGS_DEPTH) return depth;
  let deepest = depth;
  for (const item of Object.values(value)) deepest = Math.max(deepest, depthOf(item, depth + 1));
  return deepest;
}
