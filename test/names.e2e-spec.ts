import { Injectable } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';
import { RunLog, startTaskApp, type TaskApp } from './support/task-app.js';
import { waitFor } from './support/redis.js';

const NEVER = '0 0 1 1 *';

// Pairs whose FastAPI Task Manager keys `{prefix}_{group}_{task}_{suffix}` would be the same.
@TaskGroup({ name: 'a_b' })
@Injectable()
class GroupAB {
  constructor(private readonly log: RunLog) {}
  @Task(NEVER, { name: 'c' })
  c(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

@TaskGroup({ name: 'a' })
@Injectable()
class GroupA {
  constructor(private readonly log: RunLog) {}
  @Task(NEVER, { name: 'b_c' })
  bc(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
  @Task(NEVER, { name: 'x:y' })
  xy(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

@TaskGroup({ name: 'a:x' })
@Injectable()
class GroupAX {
  constructor(private readonly log: RunLog) {}
  @Task(NEVER, { name: 'y' })
  y(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

@TaskGroup({ name: '{a}' })
@Injectable()
class GroupBraces {
  constructor(private readonly log: RunLog) {}
  @Task(NEVER, { name: '}{ *?[x] ünï' })
  odd(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

describe('task identity in Redis', () => {
  let app: TaskApp | undefined;
  afterEach(async () => {
    await app?.dispose();
    app = undefined;
  });

  it('keeps separate state for names that collide in FastAPI Task Manager (`_`, `:`, `{}`)', async () => {
    app = await startTaskApp({
      groups: [GroupAB, GroupA, GroupAX, GroupBraces],
      label: 'names',
    });
    expect(app.service.listTasks()).toHaveLength(5);

    await app.service.disable({ groupName: 'a_b', name: 'c' });
    await app.service.disable({ groupName: 'a:x', name: 'y' });
    const states = Object.fromEntries(
      (await app.service.getTasks()).map((v) => [`${v.task.groupName}|${v.task.name}`, v.state.disabled]),
    );
    expect(states).toEqual({
      'a_b|c': true,
      'a|b_c': false,
      'a|x:y': false,
      'a:x|y': true,
      '{a}|}{ *?[x] ünï': false,
    });

    await app.service.trigger({ groupName: 'a' });
    await app.service.trigger({ groupName: '{a}' });
    await waitFor(() => app!.log.entries.length === 3, { timeoutMs: 5000 });
    await waitFor(async () => (await app!.service.getRunHistory('a', 'x:y')).length === 1, { timeoutMs: 3000 });
    expect(await app.service.getRunHistory('a_b', 'c')).toHaveLength(0);
    expect(await app.service.getRunHistory('a:x', 'y')).toHaveLength(0);
    expect(await app.service.getRunHistory('a', 'b_c')).toHaveLength(1);
    expect(await app.service.getRunHistory('{a}', '}{ *?[x] ünï')).toHaveLength(1);
  });
});
