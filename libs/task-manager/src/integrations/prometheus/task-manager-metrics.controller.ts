import { Controller, Get, Res, type Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TaskManagerMetrics } from './task-manager.metrics.js';

/**
 * Creates the opt-in scrape route of `TaskManagerMetricsModule` (its `path` extra): `GET /<path>` answers the
 * text of the metrics' registry (the task manager's metrics and anything else registered on it) with the
 * registry's content type. Unguarded: protect it at the network level, or write your own controller.
 */
export function createMetricsController(path: string): Type<unknown> {
  @Controller(path)
  class TaskManagerMetricsController {
    constructor(
      private readonly metrics: TaskManagerMetrics,
      private readonly adapterHost: HttpAdapterHost,
    ) {}

    @Get()
    async scrape(@Res() response: unknown): Promise<void> {
      const { registry } = this.metrics;
      const body = await registry.metrics();
      const adapter = this.adapterHost.httpAdapter;
      adapter.setHeader(response, 'Content-Type', registry.contentType);
      adapter.reply(response, body, 200);
    }
  }
  return TaskManagerMetricsController;
}
