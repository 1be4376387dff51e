/**
 * The copy-paste wiring the README offers: `TaskManagerMetricsModule`'s `path` serves the metrics without a
 * controller of the user's (forRoot and forRootAsync), and `setupTaskManagerSwagger(app)` mounts a Swagger UI
 * documenting the task manager's routes only; an existing document lists them through `TaskManagerApiModule`.
 */
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { Task, TaskGroup, TaskManagerApiModule } from 'nestjs-task-manager';
import { TaskManagerMetricsModule } from 'nestjs-task-manager/prometheus';
import { setupTaskManagerSwagger } from 'nestjs-task-manager/swagger';
import { Registry } from 'prom-client';
import { startApiApp } from '../api/api-app.js';

@TaskGroup({ name: 'Wired' })
@Injectable()
class WiredTasks {
  @Task('0 0 1 1 *', { name: 'yearly' })
  yearly() {}
}

@Controller('users')
class UsersController {
  @Get()
  list(): string[] {
    return [];
  }
}

@Module({ controllers: [UsersController] })
class UsersModule {}

describe('wiring helpers', () => {
  it.each([
    ['forRoot', () => TaskManagerMetricsModule.forRoot({ registry: new Registry(), path: 'ops/metrics' })],
    [
      'forRootAsync',
      () =>
        TaskManagerMetricsModule.forRootAsync({
          useFactory: () => ({ registry: new Registry() }),
          path: 'ops/metrics',
        }),
    ],
  ])('TaskManagerMetricsModule.%s({ path }) serves the metrics at GET /<path>', async (_name, metrics) => {
    const api = await startApiApp({ groups: [WiredTasks], label: 'wired-metrics', api: null, imports: [metrics()] });
    try {
      const res = await api.http.get('/ops/metrics').expect(200);
      expect(res.headers['content-type']).toBe(Registry.PROMETHEUS_CONTENT_TYPE);
      expect(res.text).toMatch(/^# HELP task_manager_runs_total /m);
    } finally {
      await api.dispose();
    }
  });

  it('TaskManagerMetricsModule without path mounts no route', async () => {
    const api = await startApiApp({
      groups: [WiredTasks],
      label: 'wired-no-route',
      api: null,
      imports: [TaskManagerMetricsModule.forRoot({ registry: new Registry() })],
    });
    try {
      await api.http.get('/metrics').expect(404);
    } finally {
      await api.dispose();
    }
  });

  it('setupTaskManagerSwagger(app) documents the task manager routes at /docs, and only them', async () => {
    let document: OpenAPIObject | undefined;
    const api = await startApiApp({
      groups: [WiredTasks],
      label: 'wired-swagger',
      imports: [UsersModule],
      configure: (app) => {
        document = setupTaskManagerSwagger(app);
      },
    });
    try {
      const served = (await api.http.get('/docs-json').expect(200)).body as OpenAPIObject;
      expect(served.info.title).toBe('Task manager');
      expect(Object.keys(served.paths)).toEqual(
        expect.arrayContaining(['/task-manager/tasks', '/task-manager/health']),
      );
      expect(Object.keys(served.paths)).not.toContain('/users');
      expect(Object.keys(document!.paths)).toEqual(Object.keys(served.paths));
      await api.http.get('/docs').expect(200);

      // An existing document that lists its modules names TaskManagerApiModule to include the routes.
      const config = new DocumentBuilder().setTitle('My app').build();
      const mine = SwaggerModule.createDocument(api.app, config, { include: [UsersModule, TaskManagerApiModule] });
      expect(Object.keys(mine.paths)).toEqual(expect.arrayContaining(['/users', '/task-manager/tasks']));
    } finally {
      await api.dispose();
    }
  });
});
