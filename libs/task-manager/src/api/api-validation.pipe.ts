import { BadRequestException, ValidationPipe, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { flattenValidationErrors, type FailedConstraint } from '../registry/validation-errors.js';
import { findForbiddenKey } from '../task-spec/kwargs.js';

/** A validation failure: `detail` joins the problems, `errors` lists them. */
export class ApiValidationException extends BadRequestException {
  constructor(readonly problems: string[]) {
    super({ detail: problems.join('; '), errors: problems });
  }
}

/** The problem reported for a query parameter or body property an endpoint does not know. */
const unknownParameter = (path: string) => `${path} is not a known parameter`;

/**
 * The query of an endpoint that takes no query parameter (its input is in its path or body): any parameter is
 * rejected, as unknown parameters are everywhere else (400).
 */
export class RejectQueryPipe implements PipeTransform {
  transform(value: unknown): unknown {
    const names = typeof value === 'object' && value !== null ? Object.keys(value) : [];
    if (names.length > 0) throw new ApiValidationException(names.map(unknownParameter));
    return value;
  }
}

/**
 * Validation of the API's queries, path parameters and bodies with their class-validator DTOs: unknown
 * properties and query parameters are rejected (a misspelt filter must never widen a bulk action to every
 * task), values are not coerced (`"true"` is not a boolean), and a body must be a JSON object free of
 * `__proto__` / `constructor` / `prototype` keys. Failures answer 400 with one message per problem.
 */
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new ApiValidationException(flattenValidationErrors(errors, describeFailure)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // An optional body (a DTO class with `static optionalBody = true`) may be left out: it is then empty.
    if (metadata.type === 'body' && value === undefined && hasOptionalBody(metadata.metatype)) value = {};
    if (metadata.type === 'body') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new ApiValidationException(['Request body must be a JSON object (Content-Type: application/json)']);
      }
      const forbidden = findForbiddenKey(value);
      if (forbidden) {
        throw new ApiValidationException([
          `${forbidden.replace(/^body\./, '')}: the keys __proto__, constructor and prototype are not allowed`,
        ]);
      }
    }
    return super.transform(value, metadata);
  }
}

function hasOptionalBody(metatype: unknown): boolean {
  return typeof metatype === 'function' && (metatype as { optionalBody?: unknown }).optionalBody === true;
}

/** One problem line: an unknown property says what to do, a nested one is prefixed with its parent's path. */
function describeFailure({ path, parent, property, message }: FailedConstraint): string {
  // class-validator names unknown properties "property x should not exist": say what to do.
  if (message === `property ${property} should not exist`) return unknownParameter(path);
  return parent ? `${parent}.${message}` : message;
}
