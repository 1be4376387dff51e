import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';

/** Result of validating kwargs against a `@RegisterFunction({ kwargs: Dto })` class. */
export type KwargsValidation = { ok: true; value: object } | { ok: false; problems: string[] };

/**
 * Validates `kwargs` with class-validator against `type` (unknown properties rejected), returning the
 * transformed instance or one readable message per failed constraint (`path: message`).
 */
export async function validateKwargs(
  type: new () => object,
  kwargs: Record<string, unknown>,
): Promise<KwargsValidation> {
  const instance = plainToInstance(type, kwargs) as object;
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length === 0) return { ok: true, value: instance };
  return { ok: false, problems: flatten(errors) };
}

function flatten(errors: ValidationError[], parent = ''): string[] {
  const problems: string[] = [];
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) problems.push(`kwargs.${path}: ${message}`);
    if (error.children?.length) problems.push(...flatten(error.children, path));
  }
  return problems;
}
