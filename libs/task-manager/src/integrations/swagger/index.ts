/**
 * `nestjs-task-manager/swagger`: one call that mounts a Swagger UI for the management API.
 * Needs the optional peer dependency `@nestjs/swagger` (never loaded by the main entry point).
 */
export { setupTaskManagerSwagger, type TaskManagerSwaggerOptions } from './setup-task-manager-swagger.js';
