/**
 * The `@nestjs/swagger` decorators the API uses, loaded only when the package is installed (it is an
 * optional peer dependency): without it they do nothing and the API works undocumented.
 */
import { createRequire } from 'node:module';
import type * as SwaggerModule from '@nestjs/swagger';

type Swagger = typeof SwaggerModule;

function loadSwagger(): Swagger | undefined {
  try {
    // NOTE: require() of the ES module build (Node >= 20.19) returns the same instance as `import`.
    return createRequire(import.meta.url)('@nestjs/swagger') as Swagger;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing = code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
    if (missing && String((error as Error).message).includes('@nestjs/swagger')) return undefined;
    throw error;
  }
}

const swagger = loadSwagger();
const noop = (() => () => undefined) as (...args: unknown[]) => ClassDecorator & MethodDecorator & PropertyDecorator;

/** Whether `@nestjs/swagger` is installed (the endpoints are documented). */
export const swaggerAvailable = swagger !== undefined;
export const ApiProperty: Swagger['ApiProperty'] = swagger?.ApiProperty ?? noop;
export const ApiPropertyOptional: Swagger['ApiPropertyOptional'] = swagger?.ApiPropertyOptional ?? noop;
export const ApiTags: Swagger['ApiTags'] = swagger?.ApiTags ?? noop;
export const ApiOperation: Swagger['ApiOperation'] = swagger?.ApiOperation ?? noop;
export const ApiResponse: Swagger['ApiResponse'] = swagger?.ApiResponse ?? noop;
export const ApiBody: Swagger['ApiBody'] = swagger?.ApiBody ?? noop;
export const ApiExcludeController: Swagger['ApiExcludeController'] = swagger?.ApiExcludeController ?? noop;
export const ApiExcludeEndpoint: Swagger['ApiExcludeEndpoint'] = swagger?.ApiExcludeEndpoint ?? noop;
export const ApiExtraModels: Swagger['ApiExtraModels'] = swagger?.ApiExtraModels ?? noop;
export const ApiSchema: Swagger['ApiSchema'] = swagger?.ApiSchema ?? noop;
