import { Module } from '@nestjs/common';

/**
 * The module that holds the management HTTP API (its controller, the dashboard's, their providers) when
 * `TaskManagerModule.forRoot({ ..., api })` mounts it. Its content is built on demand: importing this class
 * loads nothing of the HTTP layer. Name it in an existing Swagger document's `include` list to document the
 * task manager's routes: `SwaggerModule.createDocument(app, config, { include: [UsersModule, TaskManagerApiModule] })`.
 */
@Module({})
export class TaskManagerApiModule {}
