import { Injectable } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';
import { RunLog, sleep, startTaskApp, untilNextSecond, type TaskApp } from './support/task-app.js';

@TaskGroup({ name: 'Clock', tags: ['clock'] })
@Injectable()
class ClockTasks {
  constructor(private readonly log: RunLog) {}

  @Task('* * * * * *', { name: 'every_second' })
  everySecond(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

@TaskGroup({ name: 'Multi' })
@Injectable()
class MultiTasks {
  constructor(private readonly log: RunLog) {}

  @Task(['*/2 * * * * *', '1-59/2 * * * * *'], { name: 'two_expressions' })
  twoExpressions(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }

  @Task('* * * * * *', {
    name: 'per_kwargs',
    kwargs: [{ n: 1 }, { n: 2 }, { n: 3 }],
  })
  perKwargs(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

@TaskGroup({ name: 'Yearly' })
@Injectable()
class YearlyTasks {
  constructor(private readonly log: RunLog) {}

  @Task('0 0 1 1 *', { name: 'new_year' })
  newYear(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

describe('scheduling on one instance', () => {
  let app: TaskApp | undefined;
  afterEach(async () => {
    await app?.dispose();
    app = undefined;
  });

  it('runs a per-second task once per slot, with ctx.scheduledAt equal to the slot, promptly', async () => {
    app = await startTaskApp({ groups: [ClockTasks], label: 'clock' });
    await untilNextSecond(100);
    const windowStart = Date.now();
    await sleep(5000);
    const windowEnd = Date.now();
    const runs = app.log.of('every_second').filter((r) => r.slot > windowStart && r.slot <= windowEnd - 300);
    const slots = runs.map((r) => r.slot);
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expect(new Set(slots).size).toBe(slots.length); // each slot once
    for (const run of runs) {
      expect(run.slot % 1000).toBe(0); // a cron slot, not "now"
      expect(run.startedAt - run.slot).toBeGreaterThanOrEqual(0);
      expect(run.startedAt - run.slot).toBeLessThan(250);
    }
    // No slot inside the window was skipped.
    for (let slot = slots[0]; slot <= slots[slots.length - 1]; slot += 1000) expect(slots).toContain(slot);
  });

  it('makes one task per cron expression and one per kwargs entry', async () => {
    app = await startTaskApp({ groups: [MultiTasks], label: 'multi' });
    const names = app.service
      .listTasks()
      .map((t) => t.name)
      .sort();
    expect(names).toEqual(['per_kwargs-1', 'per_kwargs-2', 'per_kwargs-3', 'two_expressions-1', 'two_expressions-2']);
    const byName = Object.fromEntries(app.service.listTasks().map((t) => [t.name, t]));
    expect(byName['two_expressions-1'].expression).toBe('*/2 * * * * *');
    expect(byName['two_expressions-2'].expression).toBe('1-59/2 * * * * *');
    expect(byName['per_kwargs-2'].kwargs).toEqual({ n: 2 });

    await sleep(3500);
    const even = app.log.of('two_expressions-1');
    const odd = app.log.of('two_expressions-2');
    expect(even.length).toBeGreaterThan(0);
    expect(odd.length).toBeGreaterThan(0);
    expect(even.every((r) => (r.slot / 1000) % 2 === 0)).toBe(true);
    expect(odd.every((r) => (r.slot / 1000) % 2 === 1)).toBe(true);
    for (const n of [1, 2, 3]) {
      const runs = app.log.of(`per_kwargs-${n}`);
      expect(runs.length).toBeGreaterThan(0);
      expect(runs.every((r) => r.kwargs.n === n)).toBe(true);
    }
  });

  it('first runs a new task at its first cron slot, not at once', async () => {
    app = await startTaskApp({ groups: [YearlyTasks], label: 'yearly' });
    await sleep(1500);
    expect(app.log.entries).toHaveLength(0);
    const [view] = await app.service.getTasks({ name: 'new_year' });
    const next = new Date(view.state.nextRun!);
    expect(next.getUTCMonth()).toBe(0);
    expect(next.getUTCDate()).toBe(1);
    expect(next.getTime()).toBeGreaterThan(Date.now());
  });

  it('does not run a disabled task, and runs it again once re-enabled', async () => {
    app = await startTaskApp({
      groups: [ClockTasks],
      label: 'disabled',
      options: { autoStart: false },
    });
    const affected = await app.service.disable({ name: 'every_second' });
    expect(affected).toEqual([{ groupName: 'Clock', taskName: 'every_second' }]);
    await app.service.start();
    await sleep(2500);
    expect(app.log.entries).toHaveLength(0);
    const [view] = await app.service.getTasks({ name: 'every_second' });
    expect(view.state.disabled).toBe(true);

    await app.service.enable({ name: 'every_second' });
    await sleep(2200);
    expect(app.log.of('every_second').length).toBeGreaterThanOrEqual(1);
  });

  it('records each run in the history with its outcome, bounded by statisticsHistoryRuns', async () => {
    app = await startTaskApp({
      groups: [ClockTasks],
      label: 'history',
      options: { statisticsHistoryRuns: 3 },
    });
    await sleep(5200);
    const history = await app.service.getRunHistory('Clock', 'every_second');
    expect(history).toHaveLength(3);
    for (const run of history) {
      expect(run.status).toBe('success');
      expect(run.error).toBeNull();
      expect(run.workerId).toBe(app.service.workerId);
      expect(run.scheduledAt % 1000).toBe(0);
      expect(run.durationSeconds).toBeGreaterThanOrEqual(0);
      expect(run.startedAt).toBeGreaterThanOrEqual(run.scheduledAt);
    }
  });
});
