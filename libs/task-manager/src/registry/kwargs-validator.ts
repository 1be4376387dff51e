import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import { flattenValidationErrors } from './validation-errors.js';

/** class-transformer and class-validator, optional peers: loaded on the first validation only. */
let validators: Promise<[typeof import('class-transformer'), typeof import('class-validator')]> | undefined;

function loadValidators() {
  validators ??= Promise.all([import('class-transformer'), import('class-validator')]).catch((error: Error) => {
    validators = undefined;
    throw new TaskManagerConfigurationError(
      `@RegisterFunction({ kwargs }) validates kwargs with class-validator and class-transformer: install them ` +
        `(npm install class-validator class-transformer). ${error.message}`,
    );
  });
  return validators;
}

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
  const [{ plainToInstance }, { validate }] = await loadValidators();
  const instance = plainToInstance(type, kwargs) as object;
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length === 0) return { ok: true, value: instance };
  return { ok: false, problems: flattenValidationErrors(errors, ({ path, message }) => `kwargs.${path}: ${message}`) };
}
