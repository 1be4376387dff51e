import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Task, TaskGroup, TaskManagerModule, TaskManagerService, type TaskContext } from 'nestjs-task-manager';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from './support/redis.js';
import { RunLog } from './support/task-app.js';

@TaskGroup({ name: 'Configured' })
@Injectable()
class ConfiguredTasks {
  constructor(private readonly log: RunLog) {}
  @Task('* * * * * *', { name: 'tick' })
  tick(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

describe('forRootAsync', () => {
  const prefix = uniquePrefix('async');
  afterEach(async () => {
    await cleanupPrefix(prefix);
  });

  it('takes its options from ConfigService', async () => {
    @Module({
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          load: [
            () => ({
              REDIS_URL: redisUrl(),
              TASK_MANAGER_PREFIX: prefix,
              CONCURRENCY: 3,
            }),
          ],
        }),
        TaskManagerModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            redis: config.getOrThrow<string>('REDIS_URL'),
            keyPrefix: config.getOrThrow<string>('TASK_MANAGER_PREFIX'),
            concurrentTasks: config.get<number>('CONCURRENCY'),
          }),
        }),
      ],
      providers: [RunLog, ConfiguredTasks],
    })
    class AsyncModule {}
    const app = await NestFactory.createApplicationContext(AsyncModule, {
      logger: ['error'],
    });
    try {
      await app.init();
      const log = app.get(RunLog);
      await waitFor(() => log.entries.length > 0, { timeoutMs: 4000 });
      const service = app.get(TaskManagerService);
      expect(service.health()).toMatchObject({
        status: 'healthy',
        redisConnected: true,
        isLeader: true,
      });
      const [view] = await service.getTasks();
      expect(view.state.lastStatus).toBe('success');
    } finally {
      await app.close();
    }
  });

  it('fails boot with a message naming the bad option', async () => {
    @Module({
      imports: [
        TaskManagerModule.forRootAsync({
          useFactory: () => ({
            redis: redisUrl(),
            keyPrefix: prefix,
            concurrentTasks: -1,
          }),
        }),
      ],
    })
    class BadModule {}
    await expect(
      NestFactory.createApplicationContext(BadModule, {
        logger: false,
        abortOnError: false,
      }),
    ).rejects.toThrow(/concurrentTasks must be a positive integer/);
  });
});
