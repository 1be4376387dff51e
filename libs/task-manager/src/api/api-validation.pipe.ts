import { BadRequestException, ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { findForbiddenKey } from './dto/validators.js';

/** A validation failure: `detail` joins the problems, `errors` lists them. */
export class ApiValidationException extends BadRequestException {
  constructor(readonly problems: string[]) {
    super({ detail: problems.join('; '), errors: problems });
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
      exceptionFactory: (errors) => new ApiValidationException(flatten(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
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

function flatten(errors: ValidationError[], parent = ''): string[] {
  const problems: string[] = [];
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      // class-validator names unknown properties "property x should not exist": say what to do.
      problems.push(
        message === `property ${error.property} should not exist`
          ? `${path} is not a known parameter`
          : parent
            ? `${parent}.${message}`
            : message,
      );
    }
    if (error.children?.length) problems.push(...flatten(error.children, path));
  }
  return problems;
}
