/**
 * What a name may be. A lookup name (a group, task or function looked up, a tag filter) is any non-blank string
 * of at most {@link MAX_NAME_LENGTH} characters; a name given to something new (a group, a task, a registered
 * function) must also be printable text: valid Unicode, no control character, no surrounding whitespace, and not
 * `.` or `..`. Any other character, `/` included, is fine: names are percent-encoded in keys and URLs.
 */

/** Longest group, task or function name accepted. */
export const MAX_NAME_LENGTH = 1024;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` contains a C0 control character or DEL. */
export const hasControlCharacter = (text: string): boolean =>
  [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/** Why `value` is not a lookup name (the problem, after the subject), or undefined. */
export function lookupNameProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return 'is required';
  if (typeof value !== 'string') return 'must be a string';
  if (value.trim() === '') return 'must not be empty';
  if (value.length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`;
  return undefined;
}

/** Why `value` is not a name for a new group, task or function (the problem, after the subject), or undefined. */
export function newNameProblem(value: unknown): string | undefined {
  const problem = lookupNameProblem(value);
  if (problem) return problem;
  const name = value as string;
  if (hasControlCharacter(name)) return 'must not contain control characters';
  if (name !== name.trim()) return 'must not start or end with whitespace';
  if (name === '.' || name === '..') return 'must not be "." or ".."';
  if (LONE_SURROGATE.test(name)) return 'must be valid Unicode text (it contains a lone UTF-16 surrogate)';
  return undefined;
}
