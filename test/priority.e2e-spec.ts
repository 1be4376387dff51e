import { Injectable } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';
import { RunLog, sleep, startTaskApp, type TaskApp } from './support/task-app.js';
import { waitFor } from './support/redis.js';

const NEVER = '0 0 1 1 *'; // only runs when triggered during the test

@TaskGroup({ name: 'Backlog' })
@Injectable()
class BacklogTasks {
  constructor(private readonly log: RunLog) {}

  @Task(NEVER, { name: 'blocker' })
  async blocker(kwargs: Record<string, unknown>, ctx: TaskContext) {
    const end = this.log.start(kwargs, ctx);
    await sleep(1500);
    end();
  }

  @Task(NEVER, {
    name: 'normal',
    tags: ['normal'],
    kwargs: [{ i: 1 }, { i: 2 }, { i: 3 }],
  })
  normal(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }

  @Task(NEVER, {
    name: 'urgent',
    tags: ['urgent'],
    highPriority: true,
    kwargs: [{ i: 1 }, { i: 2 }, { i: 3 }],
  })
  urgent(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

describe('priorities', () => {
  let app: TaskApp | undefined;
  afterEach(async () => {
    await app?.dispose();
    app = undefined;
  });

  it('consumes every waiting high-priority run before any normal one (concurrentTasks: 1)', async () => {
    app = await startTaskApp({
      groups: [BacklogTasks],
      label: 'prio',
      options: { concurrentTasks: 1 },
    });
    await app.service.trigger({ name: 'blocker' });
    await waitFor(() => app!.log.of('blocker').length === 1, {
      timeoutMs: 5000,
    });
    // The only slot is busy: queue the normal runs first, then the urgent ones.
    await app.service.trigger({ tag: 'normal' });
    await sleep(300);
    await app.service.trigger({ tag: 'urgent' });
    await waitFor(() => app!.log.entries.length === 7, { timeoutMs: 15000 });
    const order = app.log.entries.map((e) => e.task.replace(/-\d+$/, ''));
    expect(order).toEqual(['blocker', 'urgent', 'urgent', 'urgent', 'normal', 'normal', 'normal']);
  });
});
