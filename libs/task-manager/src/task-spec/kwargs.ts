/**
 * What kwargs may be: a JSON object (not an array), nested at most {@link MAX_KWARGS_DEPTH} levels deep, without
 * `__proto__` / `constructor` / `prototype` keys anywhere, and at most `maxKwargsBytes` as JSON. (A function's
 * class-validator DTO, when it declares one, is checked by `registry/kwargs-validator.ts`.)
 */

/** Deepest nesting of kwargs objects and arrays accepted. */
export const MAX_KWARGS_DEPTH = 32;
/** Keys refused anywhere in kwargs (and in a request body): prototype pollution. */
export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** Why `value` is not a kwargs object (the problem, after the subject), or undefined. Size apart. */
export function kwargsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be a JSON object';
  if (depthOf(value) > MAX_KWARGS_DEPTH) return `must not be nested more than ${MAX_KWARGS_DEPTH} levels deep`;
  const forbidden = findForbiddenKey(value, 'kwargs');
  if (forbidden) return `must not contain the key ${forbidden} (__proto__, constructor and prototype are not allowed)`;
  return undefined;
}

/** Size of `kwargs` as JSON, in bytes (what `maxKwargsBytes` limits). */
export function kwargsSize(kwargs: unknown): number {
  return Buffer.byteLength(JSON.stringify(kwargs ?? null));
}

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
