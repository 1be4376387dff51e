import { SetMetadata, type Type } from '@nestjs/common';
import { REGISTER_FUNCTION_METADATA } from '../task-manager.constants.js';

/** Options of `@RegisterFunction()`. */
export interface RegisterFunctionOptions {
  /** Name under which dynamic tasks refer to the function. Defaults to the method name. */
  name?: string;
  /** A class-validator DTO that validates the kwargs of dynamic tasks using this function. */
  kwargs?: Type<object>;
}

/** Registers the decorated method as a function from which dynamic tasks can be created at runtime. */
export function RegisterFunction(nameOrOptions: string | RegisterFunctionOptions = {}): MethodDecorator {
  const options = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : nameOrOptions;
  return SetMetadata(REGISTER_FUNCTION_METADATA, options);
}
