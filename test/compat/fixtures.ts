/** Task groups of the compatibility suite: one of each kind of task a client of the original meets. */
import { Injectable } from '@nestjs/common';
import { RegisterFunction, Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';
import { RunLog, sleep } from '../support/task-app.js';

/** Never due while a test runs. */
export const NEVER = '0 0 1 1 *';
/** How long `quick` and `slow` run (ms). */
export const QUICK_MS = 150;
export const SLOW_MS = 1200;

@TaskGroup({ name: 'Reports', tags: ['reports'], allowParallel: true })
@Injectable()
export class ReportTasks {
  constructor(private readonly log: RunLog) {}

  /** No kwargs, no allowParallel of its own; registered for dynamic tasks under its task name. */
  @Task(NEVER, { name: 'send_digest', description: 'Digest mail' })
  sendDigest(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @Task(NEVER, { name: 'exclusive', allowParallel: false, register: false })
  exclusive(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  /** Always fails: its backoff state is what `retry_delay` reports. */
  @Task(NEVER, { name: 'flaky', register: false })
  flaky(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
    throw new Error('always fails');
  }

  /** Fails with its own backoff: the next delay is capped by its retryBackoffMax. */
  @Task(NEVER, { name: 'capped', retryBackoff: 40, retryBackoffMax: 60, register: false })
  capped(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
    throw new Error('always fails');
  }

  @Task(NEVER, { name: 'quick', register: false })
  async quick(kwargs: Record<string, unknown>, ctx: TaskContext): Promise<void> {
    const end = this.log.start(kwargs, ctx);
    await sleep(QUICK_MS);
    end();
  }

  /** Two expressions: two tasks with generated names. */
  @Task([NEVER, '0 0 2 1 *'], { name: 'multi', register: false })
  multi(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @RegisterFunction('send_report')
  sendReport(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  /** For dynamic tasks whose runs overlap unless allow_parallel is false. */
  @RegisterFunction('slow')
  async slow(kwargs: Record<string, unknown>, ctx: TaskContext): Promise<void> {
    const end = this.log.start(kwargs, ctx);
    await sleep(SLOW_MS);
    end();
  }
}

/** No tags, no allowParallel: `allow_parallel` null, `tags` an empty list (as the original answers for a group). */
@TaskGroup({ name: 'Plain' })
@Injectable()
export class PlainTasks {
  @Task(NEVER, { name: 'plain', register: false })
  plain(): void {}
}
