/**
 * class-validator decorators of the API's DTOs. Each one checks a whole property (type included) and
 * gives one message naming it, so a client gets one actionable line per bad field.
 */
import { Transform } from 'class-transformer';
import { ValidateBy, ValidateIf, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { kwargsProblem } from '../../task-spec/kwargs.js';
import { lookupNameProblem, newNameProblem } from '../../task-spec/names.js';
import {
  backoffMaxProblem,
  backoffRule,
  cronRule,
  flagRule,
  maxAttemptsRule,
  misfirePolicyRule,
  tagsRule,
  textRule,
  timeoutMsRule,
  timeZoneRule,
  type Rule,
} from '../../task-spec/rules.js';

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

/** A non-blank string of at most 1024 characters (a group, task, function name or tag to look up). */
export function IsLookupName(options?: ValidationOptions): PropertyDecorator {
  return validateWith('isLookupName', lookupNameProblem, options);
}

/** A name for a new task (the task spec's name rule, `task-spec/names.ts`). */
export function IsNewTaskName(options?: ValidationOptions): PropertyDecorator {
  return validateWith('isNewTaskName', newNameProblem, options);
}

/** A cron expression accepted by the library's one cron rule (the task spec, `task-spec/rules.ts`). */
export function IsCronExpression(options?: ValidationOptions): PropertyDecorator {
  return validateWith('isCronExpression', cronRule, options);
}

/** An IANA time zone name known to this runtime. */
export function IsTimeZoneName(options?: ValidationOptions): PropertyDecorator {
  return validateWith('isTimeZoneName', timeZoneRule, options);
}

/** A JSON object (not an array) nested at most 32 levels deep (the task spec, `task-spec/kwargs.ts`). */
export function IsKwargs(options?: ValidationOptions): PropertyDecorator {
  return validateWith('isKwargs', kwargsProblem, options);
}

/** A backoff delay: a finite number of seconds > 0 and at most one year. */
export function IsBackoffSeconds(options?: ValidationOptions): PropertyDecorator {
  return validateWith('isBackoffSeconds', backoffRule, options);
}

/** A number property that must not be lower than the (present) number property `other`. */
export function IsNotBelow(other: string, options?: ValidationOptions): PropertyDecorator {
  return validateWith(
    'isNotBelow',
    (value, args) => backoffMaxProblem(value, (args.object as Record<string, unknown>)[other], other),
    options,
  );
}

/** A list of at most 100 non-blank tags of at most 200 characters each. */
export function IsTagList(options?: ValidationOptions): PropertyDecorator {
  return validateWith('isTagList', tagsRule, options);
}

/** A string of at most `max` characters. */
export function IsText(max: number, options?: ValidationOptions): PropertyDecorator {
  return validateWith('isText', textRule(max), options);
}

/** A strict boolean (`true` / `false`, not `"true"`). */
export function IsStrictBoolean(options?: ValidationOptions): PropertyDecorator {
  return validateWith('isStrictBoolean', flagRule, options);
}

/** Attempts per slot: an integer >= 1 (the task spec's rule). */
export function IsMaxAttempts(options?: ValidationOptions): PropertyDecorator {
  return validateWith('isMaxAttempts', maxAttemptsRule, options);
}

/** A run timeout: a positive number of milliseconds (the task spec's rule). */
export function IsTimeoutMs(options?: ValidationOptions): PropertyDecorator {
  return validateWith('isTimeoutMs', timeoutMsRule, options);
}

/** A misfire policy: `runOnce`, `skip` or `runAll` (the task spec's rule). */
export function IsMisfirePolicy(options?: ValidationOptions): PropertyDecorator {
  return validateWith('isMisfirePolicy', misfirePolicyRule, options);
}

/**
 * A field of an update that takes a value (`PATCH /tasks`): absent keeps the current one, null is refused,
 * anything else must pass `rule` (a task-spec rule).
 */
export function IsUpdateValue(rule: Rule, options?: ValidationOptions): PropertyDecorator {
  const present = ValidateIf((_object, value) => value !== undefined);
  const validate = validateWith(
    'isUpdateValue',
    (value) => (value === null ? 'must not be null: omit it to keep the current value' : rule(value)),
    options,
  );
  return (target, key) => {
    present(target, key);
    validate(target, key);
  };
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
