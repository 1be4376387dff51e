import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  // SIGTERM/SIGINT close the app: the task manager gives up leadership, then drains running tasks.
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('nestjs-task-manager demo')
      .setDescription('Demo application of nestjs-task-manager: distributed cron tasks coordinated through Redis.')
      .setVersion('0.1.0')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);

  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  const url = `http://localhost:${port}`;
  Logger.log(`Listening on ${url} (Swagger UI: ${url}/docs)`, 'Bootstrap');
}

void bootstrap();
