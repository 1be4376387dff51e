/**
 * The task spec: the one place that says what a valid task is, whoever declares it: `@TaskGroup` / `@Task` /
 * `@RegisterFunction` (checked at boot by the explorer and the task factory), `TaskManagerService.createDynamicTask`,
 * `POST /tasks` (the API's DTO validators call the same rules) and a dynamic task read back from the store.
 * Each check lists every problem as `{ field, problem }`; the caller words them for its audience.
 */
import { kwargsProblem, kwargsSize } from './kwargs.js';
import { lookupNameProblem, newNameProblem } from './names.js';
import {
  backoffMaxProblem,
  backoffRule,
  cronRule,
  descriptionRule,
  flagRule,
  maxAttemptsRule,
  misfirePolicyRule,
  tagsRule,
  timeoutMsRule,
  timeZoneRule,
  type Rule,
} from './rules.js';

/** One broken rule: the field (as the caller named it) and what is wrong with it. */
export interface SpecProblem {
  readonly field: string;
  readonly problem: string;
}

/** A field's rule; `optional`: undefined (and null when `nullable`) skip it. */
interface FieldSpec {
  readonly rule: Rule;
  readonly optional?: boolean;
  readonly nullable?: boolean;
}

type Shape = Readonly<Record<string, FieldSpec>>;

const required = (rule: Rule): FieldSpec => ({ rule });
const optional = (rule: Rule): FieldSpec => ({ rule, optional: true });
const nullable = (rule: Rule): FieldSpec => ({ rule, optional: true, nullable: true });

/** `CreateDynamicTaskInput`: what `createDynamicTask` and `POST /tasks` take. */
const DYNAMIC_TASK_INPUT: Shape = {
  groupName: required(lookupNameProblem),
  functionName: required(lookupNameProblem),
  cronExpression: required(cronRule),
  kwargs: nullable(kwargsProblem),
  name: nullable(newNameProblem),
  description: nullable(descriptionRule),
  highPriority: nullable(flagRule),
  tags: nullable(tagsRule),
  retryBackoff: nullable(backoffRule),
  retryBackoffMax: nullable(backoffRule),
  allowParallel: nullable(flagRule),
  timeZone: nullable(timeZoneRule),
  maxAttempts: nullable(maxAttemptsRule),
  timeoutMs: nullable(timeoutMsRule),
  misfirePolicy: nullable(misfirePolicyRule),
};

/**
 * `UpdateDynamicTaskInput`: what `updateDynamicTask` and `PATCH /tasks` take. Every field is optional; null
 * resets a field to its default (the module's time zone, no kwargs, no description, no tags, inherited
 * options), except for `cronExpression`, `highPriority` and `enabled`, which take a value.
 */
const DYNAMIC_TASK_UPDATE: Shape = {
  cronExpression: optional(cronRule),
  timeZone: nullable(timeZoneRule),
  kwargs: nullable(kwargsProblem),
  description: nullable(descriptionRule),
  tags: nullable(tagsRule),
  highPriority: optional(flagRule),
  enabled: optional(flagRule),
  allowParallel: nullable(flagRule),
  maxAttempts: nullable(maxAttemptsRule),
  timeoutMs: nullable(timeoutMsRule),
  misfirePolicy: nullable(misfirePolicyRule),
  retryBackoff: nullable(backoffRule),
  retryBackoffMax: nullable(backoffRule),
};

/** The fields an update may change (`UpdateDynamicTaskInput`), in documentation order. */
export const DYNAMIC_TASK_UPDATE_FIELDS: readonly string[] = Object.keys(DYNAMIC_TASK_UPDATE);

/** A dynamic task as stored (`DynamicTaskRecord`). */
const DYNAMIC_TASK_RECORD: Shape = {
  group: required(lookupNameProblem),
  name: required(newNameProblem),
  function: required(lookupNameProblem),
  expression: required(cronRule),
  timeZone: required(timeZoneRule),
  kwargs: nullable(kwargsProblem),
  description: nullable(descriptionRule),
  tags: required(tagsRule),
  highPriority: required(flagRule),
  retryBackoff: nullable(backoffRule),
  retryBackoffMax: nullable(backoffRule),
  allowParallel: nullable(flagRule),
  maxAttempts: nullable(maxAttemptsRule),
  timeoutMs: nullable(timeoutMsRule),
  misfirePolicy: nullable(misfirePolicyRule),
  createdAt: required((value) =>
    typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number',
  ),
};

/** `@Task()` options (`kwargs` apart: one object or a list of them). */
const TASK_OPTIONS: Shape = {
  name: optional(newNameProblem),
  description: optional(descriptionRule),
  tags: optional(tagsRule),
  highPriority: optional(flagRule),
  retryBackoff: optional(backoffRule),
  retryBackoffMax: optional(backoffRule),
  allowParallel: optional(flagRule),
  register: optional(flagRule),
  disabled: optional(flagRule),
  timeZone: optional(timeZoneRule),
  misfirePolicy: optional(misfirePolicyRule),
  maxAttempts: optional(maxAttemptsRule),
  timeoutMs: optional(timeoutMsRule),
};

/** `@TaskGroup()` options. */
const GROUP_OPTIONS: Shape = {
  name: required(newNameProblem),
  description: optional(descriptionRule),
  tags: optional(tagsRule),
  allowParallel: optional(flagRule),
};

function check(shape: Shape, value: unknown): SpecProblem[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [{ field: 'definition', problem: 'must be an object' }];
  const object = value as Record<string, unknown>;
  const problems: SpecProblem[] = [];
  for (const [field, spec] of Object.entries(shape)) {
    const fieldValue = object[field];
    if (spec.optional && (fieldValue === undefined || (spec.nullable && fieldValue === null))) continue;
    const problem = spec.rule(fieldValue);
    if (problem) problems.push({ field, problem });
  }
  return problems;
}

/** The order rule of the two backoffs, under the given field names. */
function backoffOrder(object: object, first: string, max: string): SpecProblem[] {
  const values = object as Record<string, unknown>;
  const problem = backoffMaxProblem(values[max], values[first], first);
  return problem ? [{ field: max, problem }] : [];
}

/** Problems of a dynamic task's input (kwargs size and the function's kwargs DTO apart: see `kwargsSizeProblem`). */
export function dynamicTaskInputProblems(input: unknown): SpecProblem[] {
  const problems = check(DYNAMIC_TASK_INPUT, input);
  return problems.length > 0 || typeof input !== 'object' || input === null
    ? problems
    : backoffOrder(input, 'retryBackoff', 'retryBackoffMax');
}

/**
 * Problems of an update of a dynamic task taken alone: unknown fields, no field at all, each given field's rule.
 * The updated task as a whole (the backoff order, the kwargs size) is checked with `dynamicTaskRecordProblems`.
 */
export function dynamicTaskUpdateProblems(patch: unknown): SpecProblem[] {
  const problems = check(DYNAMIC_TASK_UPDATE, patch);
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return problems;
  const given = Object.keys(patch).filter((field) => (patch as Record<string, unknown>)[field] !== undefined);
  for (const field of given) {
    if (!(field in DYNAMIC_TASK_UPDATE))
      problems.push({ field, problem: `is not a field of an update (${DYNAMIC_TASK_UPDATE_FIELDS.join(', ')})` });
  }
  if (given.length === 0)
    problems.push({
      field: 'update',
      problem: `is empty: give at least one of ${DYNAMIC_TASK_UPDATE_FIELDS.join(', ')}`,
    });
  return problems;
}

/** Problems of a stored dynamic task (read back from the store: it may come from another version, or be edited). */
export function dynamicTaskRecordProblems(record: unknown, maxKwargsBytes: number): SpecProblem[] {
  const problems = check(DYNAMIC_TASK_RECORD, record);
  if (problems.length > 0) return problems;
  const stored = record as { kwargs?: unknown };
  const size = kwargsSizeProblem(stored.kwargs, maxKwargsBytes);
  return [
    ...backoffOrder(record as object, 'retryBackoff', 'retryBackoffMax'),
    ...(size ? [{ field: 'kwargs', problem: size }] : []),
  ];
}

/** Problems of `@Task()` options, kwargs included (each entry of a list checked, sizes against `maxKwargsBytes`). */
export function taskOptionsProblems(options: unknown, maxKwargsBytes: number): SpecProblem[] {
  const problems = check(TASK_OPTIONS, options);
  if (typeof options !== 'object' || options === null) return problems;
  const { kwargs } = options as { kwargs?: unknown };
  if (kwargs !== undefined) {
    const list = Array.isArray(kwargs) ? kwargs : [kwargs];
    if (list.length === 0)
      problems.push({ field: 'kwargs', problem: 'is an empty list; omit it or give at least one entry' });
    list.forEach((entry, i) => {
      const field = Array.isArray(kwargs) ? `kwargs[${i}]` : 'kwargs';
      const problem = kwargsProblem(entry) ?? kwargsSizeProblem(entry, maxKwargsBytes);
      if (problem) problems.push({ field, problem });
    });
  }
  return problems.length > 0 ? problems : backoffOrder(options, 'retryBackoff', 'retryBackoffMax');
}

/** Problems of `@TaskGroup()` options. */
export function groupOptionsProblems(options: unknown): SpecProblem[] {
  return check(GROUP_OPTIONS, options);
}

/** Problem of a name given to a new task or function (a generated task name, a `@RegisterFunction` name). */
export function nameProblem(name: unknown): string | undefined {
  return newNameProblem(name);
}

/** Problem of kwargs larger than `limit` bytes as JSON (the `maxKwargsBytes` option), else undefined. */
export function kwargsSizeProblem(kwargs: unknown, limit: number): string | undefined {
  const size = kwargsSize(kwargs);
  return size > limit ? `are ${size} bytes as JSON; the limit is ${limit} bytes (option maxKwargsBytes)` : undefined;
}

/** `field problem` lines, e.g. `retryBackoff must be a number`. */
export function describeProblems(problems: readonly SpecProblem[], quote = (field: string) => field): string[] {
  return problems.map(({ field, problem }) => `${quote(field)} ${problem}`);
}
