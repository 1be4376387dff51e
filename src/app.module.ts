import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TaskManagerModule } from 'nestjs-task-manager';
import { ApiKeyGuard } from './api-key.guard.js';
import { MailService } from './mail.service.js';
import { ObservabilityModule } from './observability.module.js';
import { HeartbeatTasks } from './tasks/heartbeat.tasks.js';
import { ReportTasks } from './tasks/reports.tasks.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    TaskManagerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        redis: config.get<string>('REDIS_URL') ?? 'redis://127.0.0.1:6379',
        keyPrefix: config.get<string>('TASK_MANAGER_PREFIX') ?? 'nestjs-task-manager-demo',
      }),
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
