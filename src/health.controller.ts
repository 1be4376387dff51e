import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { TaskManagerHealthIndicator } from 'nestjs-task-manager/terminus';

/**
 * Readiness of this instance for load balancers and Kubernetes probes: 200 while the task manager is
 * healthy, 503 (with the reason under `error`) when Redis is unreachable, the deployment has had no
 * leader for longer than the failover bound, or the instance is shutting down.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly taskManager: TaskManagerHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.taskManager.isHealthy('task-manager')]);
  }
}
