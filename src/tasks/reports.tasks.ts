import { Injectable } from '@nestjs/common';
import { RegisterFunction, Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';
import { MailService } from '../mail.service.js';

/** Tasks that use an injected service; a run of a task never overlaps the previous one. */
@TaskGroup({ name: 'Reports', tags: ['reports'], allowParallel: false })
@Injectable()
export class ReportTasks {
  constructor(private readonly mail: MailService) {}

  /** One task per kwargs entry: one digest for staff, one for customers. */
  @Task('0 * * * * *', {
    name: 'send_digest',
    description: 'Sends the digest mail every minute, once per audience',
    kwargs: [{ audience: 'staff' }, { audience: 'customers' }],
  })
  async sendDigest(kwargs: { audience: string }, ctx: TaskContext): Promise<void> {
    await this.mail.send(`${kwargs.audience}@example.com`, `Digest for ${ctx.scheduledAt.toISOString()}`);
    ctx.logger.log(`digest sent to ${kwargs.audience}`);
  }

  /** High priority: consumed before any normal run waiting in the queue. */
  @Task('*/30 * * * * *', {
    name: 'refresh_cache',
    description: 'Refreshes a cache every 30 seconds, ahead of normal runs',
    highPriority: true,
  })
  async refreshCache(_kwargs: Record<string, never>, ctx: TaskContext): Promise<void> {
    if (ctx.signal.aborted) return;
    ctx.logger.log(`cache refreshed (run ${ctx.runId})`);
  }

  /** Not scheduled: a function from which dynamic tasks can be created at runtime. */
  @RegisterFunction('send_report')
  async sendReport(kwargs: { recipient: string }, ctx?: TaskContext): Promise<void> {
    await this.mail.send(kwargs.recipient, 'Your report');
    ctx?.logger.log(`report sent to ${kwargs.recipient}`);
  }
}
