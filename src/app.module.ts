import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TaskManagerModule } from 'nestjs-task-manager';
import { ApiKeyGuard } from './api-key.guard.js';
import { MailService } from './mail.service.js';
import { ObservabilityModule } from './observability.module.js';
import { redisAnswers } from './redis-probe.js';
import { HeartbeatTasks } from './tasks/heartbeat.tasks.js';
import { ReportTasks } from './tasks/reports.tasks.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    TaskManagerModule.forRootAsync({
      inject: [ConfigService],
      // REDIS_URL when set; else the local Redis when one answers; else the in-process driver (no
      // infrastructure at all: one instance, state in memory, announced by a startup warning).
      useFactory: async (config: ConfigService) => {
        const local = config.get<string>('REDIS_PROBE') ?? '127.0.0.1:6379';
        const url = config.get<string>('REDIS_URL') ?? ((await redisAnswers(local)) ? `redis://${local}` : undefined);
        return {
          ...(url ? { redis: url } : {}),
          keyPrefix: config.get<string>('TASK_MANAGER_PREFIX') ?? 'nestjs-task-manager-demo',
        };
      },
      // The management API under /task-manager and its dashboard at /task-manager/dashboard, guarded by an
      // API key when TASK_MANAGER_API_KEY is set (browsers: HTTP Basic, the key as password).
      api: { path: 'task-manager', guards: [ApiKeyGuard], dashboard: { path: 'dashboard' } },
    }),
    // /health (Terminus, with the task manager's indicator) and /metrics (Prometheus).
    ObservabilityModule,
  ],
  providers: [MailService, HeartbeatTasks, ReportTasks],
})
export class AppModule {}
