import { Injectable } from '@nestjs/common';
import { Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';

/** A seconds-resolution task: shows which instance runs each slot. */
@TaskGroup({ name: 'Heartbeat', tags: ['demo'] })
@Injectable()
export class HeartbeatTasks {
  @Task('*/10 * * * * *', {
    name: 'tick',
    description: 'Logs a line every 10 seconds, on exactly one instance of the cluster',
  })
  tick(_kwargs: Record<string, never>, ctx: TaskContext): void {
    ctx.logger.log(`tick for slot ${ctx.scheduledAt.toISOString()} on ${ctx.workerId} (attempt ${ctx.attempt})`);
  }
}
