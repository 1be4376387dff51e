import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TaskManagerMetricsModule } from 'nestjs-task-manager/prometheus';
import { TaskManagerHealthIndicator } from 'nestjs-task-manager/terminus';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';

/**
 * Health and metrics of the demo: `GET /health` (Terminus, with the task manager's indicator) and
 * `GET /metrics` (Prometheus text). Needs `TaskManagerModule` (global) in the application.
 */
@Module({
  imports: [
    TerminusModule,
    // One registry per application (not prom-client's global one): the task manager's metrics and the
    // process' default metrics (CPU, memory, event loop lag...).
    TaskManagerMetricsModule.forRootAsync({
      useFactory: () => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry });
        return { registry };
      },
    }),
  ],
  controllers: [HealthController, MetricsController],
  providers: [TaskManagerHealthIndicator],
})
export class ObservabilityModule {}
