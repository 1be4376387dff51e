import type { ValidationError } from 'class-validator';

/** One failed class-validator constraint, with where it failed. */
export interface FailedConstraint {
  /** Dotted path of the property (`a.b.c`). */
  readonly path: string;
  /** Dotted path of its parent object (`a.b`), empty at the top level. */
  readonly parent: string;
  /** The property's own name (`c`). */
  readonly property: string;
  /** class-validator's message. */
  readonly message: string;
}

/** class-validator errors, nested ones included, as one line per failed constraint worded by `describe`. */
export function flattenValidationErrors(
  errors: readonly ValidationError[],
  describe: (failed: FailedConstraint) => string,
  parent = '',
): string[] {
  const problems: string[] = [];
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {}))
      problems.push(describe({ path, parent, property: error.property, message }));
    if (error.children?.length) problems.push(...flattenValidationErrors(error.children, describe, path));
  }
  return problems;
}
