import { Injectable } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';
import { RunLog, sleep, startTaskApp, type TaskApp } from './support/task-app.js';

@TaskGroup({ name: 'Slow', allowParallel: false })
@Injectable()
class SlowTasks {
  constructor(private readonly log: RunLog) {}

  @Task('* * * * * *', { name: 'three_seconds' })
  async threeSeconds(kwargs: Record<string, unknown>, ctx: TaskContext) {
    const end = this.log.start(kwargs, ctx);
    await sleep(3000);
    end();
  }

  @Task('* * * * * *', { name: 'parallel_ok', allowParallel: true })
  async parallelOk(kwargs: Record<string, unknown>, ctx: TaskContext) {
    const end = this.log.start(kwargs, ctx);
    await sleep(2500);
    end();
  }
}

function overlaps(runs: Array<{ startedAt: number; endedAt?: number }>): number {
  let count = 0;
  const sorted = [...runs].sort((a, b) => a.startedAt - b.startedAt);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].startedAt < (sorted[i - 1].endedAt ?? Infinity)) count++;
  }
  return count;
}

describe('allowParallel', () => {
  let app: TaskApp | undefined;
  afterEach(async () => {
    await app?.dispose();
    app = undefined;
  });

  it('never overlaps a 3 s task on a 1 s schedule with itself when false (group setting), and does when the task allows it', async () => {
    app = await startTaskApp({
      groups: [SlowTasks],
      label: 'parallel',
      options: { concurrentTasks: 8 },
    });
    await sleep(9000);
    const serial = app.log.of('three_seconds');
    expect(serial.length).toBeGreaterThanOrEqual(2);
    expect(overlaps(serial)).toBe(0);
    // Task option wins over the group's: this one does overlap.
    expect(overlaps(app.log.of('parallel_ok'))).toBeGreaterThan(0);
    const [view] = await app.service.getTasks({ name: 'three_seconds' });
    expect(view.task.allowParallel).toBe(false);
  }, 30_000);
});
