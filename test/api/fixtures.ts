/** Task groups used by the API's e2e tests. All schedules are never due during a test ('0 0 1 1 *'). */
import { Injectable } from '@nestjs/common';
import { IsEmail, IsOptional, IsString } from 'class-validator';
import { RegisterFunction, Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';
import { RunLog } from '../support/task-app.js';

/** A cron expression that is never due while a test runs. */
export const NEVER = '0 0 1 1 *';

/** kwargs DTO of the `send_email` function. */
export class EmailKwargs {
  @IsEmail()
  recipient!: string;

  @IsOptional()
  @IsString()
  subject?: string;
}

@TaskGroup({ name: 'Api', tags: ['api'], description: 'Main test group' })
@Injectable()
export class ApiTasks {
  private flakyCalls = 0;

  constructor(private readonly log: RunLog) {}

  @Task(NEVER, { name: 'static_task', description: 'A static task', tags: ['static'] })
  staticTask(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @Task(NEVER, {
    name: 'with_kwargs',
    kwargs: { a: 1 },
    highPriority: true,
    retryBackoff: 2,
    retryBackoffMax: 10,
    register: false,
  })
  withKwargs(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  /** Fails on its first call, then succeeds. */
  @Task(NEVER, { name: 'flaky', register: false })
  flaky(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
    this.flakyCalls++;
    if (this.flakyCalls === 1) throw new Error('boom');
  }

  @RegisterFunction('echo')
  echo(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @RegisterFunction({ name: 'send_email', kwargs: EmailKwargs })
  sendEmail(kwargs: EmailKwargs, ctx: TaskContext): void {
    this.log.start(kwargs as unknown as Record<string, unknown>, ctx)();
  }
}

@TaskGroup({ name: 'Other', tags: ['other'] })
@Injectable()
export class OtherTasks {
  @Task(NEVER, { name: 'other_task', tags: ['api'] })
  otherTask(): void {}
}

/** Names with reserved URL characters. */
export const ODD_GROUP = 'Ops/Nightly é';
export const ODD_TASK = 'clean up/old%20files?#';

@TaskGroup({ name: ODD_GROUP })
@Injectable()
export class OddTasks {
  @Task(NEVER, { name: ODD_TASK })
  clean(): void {}

  @RegisterFunction('noop')
  noop(): void {}
}
