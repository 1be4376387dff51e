import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { TaskManagerApiModule } from '../../api/task-manager-api.module.js';

/** Options of {@link setupTaskManagerSwagger}; every field is optional. */
export interface TaskManagerSwaggerOptions {
  /**
   * Path of the Swagger UI (relative to the application's global prefix); the JSON document is served at
   * `<path>-json`.
   * @default 'docs'
   */
  path?: string;
  /**
   * Title of the document.
   * @default 'Task manager'
   */
  title?: string;
  /**
   * Version of the document.
   * @default '1.0'
   */
  version?: string;
}

/**
 * Mounts a Swagger UI documenting the task manager's management API (the routes of the `api` option, with
 * their request and response schemas), for an application that has no Swagger document yet. Call it in
 * `main.ts` after `NestFactory.create()`. An application that already builds a document gets the task
 * manager's routes in it as they are (or names `TaskManagerApiModule` in its `include` list) instead.
 * @returns the OpenAPI document
 */
export function setupTaskManagerSwagger(app: INestApplication, options: TaskManagerSwaggerOptions = {}): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(options.title ?? 'Task manager')
    .setDescription('Management API of nestjs-task-manager (the routes of FastAPI Task Manager).')
    .setVersion(options.version ?? '1.0')
    .build();
  const document = SwaggerModule.createDocument(app, config, { include: [TaskManagerApiModule] });
  SwaggerModule.setup(options.path ?? 'docs', app, document);
  return document;
}
