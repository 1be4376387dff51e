import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { setupSwagger } from './swagger.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  // SIGTERM/SIGINT close the app: the task manager gives up leadership, then drains running tasks.
  app.enableShutdownHooks();
  setupSwagger(app);

  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  const url = `http://localhost:${port}`;
  Logger.log(
    `Listening on ${url} (Swagger UI: ${url}/docs, management API: ${url}/task-manager, dashboard: ${url}/task-manager/dashboard)`,
    'Bootstrap',
  );
  if (!process.env.TASK_MANAGER_API_KEY) {
    Logger.warn('TASK_MANAGER_API_KEY is not set: the management API is open to anyone who can reach it', 'Bootstrap');
  }
}

void bootstrap();
