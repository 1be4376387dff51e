import { Controller, Get, Header } from '@nestjs/common';
import { TaskManagerMetrics } from 'nestjs-task-manager/prometheus';
import { Registry } from 'prom-client';

/** Prometheus scrape endpoint: the task manager's metrics and the process' default metrics. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: TaskManagerMetrics) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
