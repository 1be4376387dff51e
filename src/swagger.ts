import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { API_KEY_HEADER } from './api-key.guard.js';

/** Builds the demo's OpenAPI document (the task manager's API included) and serves Swagger UI at /docs. */
export function setupSwagger(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('nestjs-task-manager demo')
      .setDescription(
        'Demo application of nestjs-task-manager: distributed cron tasks coordinated through Redis. ' +
          'The management API is under /task-manager; when TASK_MANAGER_API_KEY is set it requires the x-api-key header.',
      )
      .setVersion('0.1.0')
      .addApiKey({ type: 'apiKey', name: API_KEY_HEADER, in: 'header' }, 'api-key')
      .addSecurityRequirements('api-key')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  return document;
}
