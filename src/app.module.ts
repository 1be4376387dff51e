import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TaskManagerModule } from 'nestjs-task-manager';
import { ApiKeyGuard } from './api-key.guard.js';
import { MailService } from './mail.service.js';
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
      // The management API under /task-manager, guarded by an API key when TASK_MANAGER_API_KEY is set.
      api: { path: 'task-manager', guards: [ApiKeyGuard] },
    }),
  ],
  providers: [MailService, HeartbeatTasks, ReportTasks],
})
export class AppModule {}
