import { Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';
import { TaskManagerKeys, encodeTaskId } from 'nestjs-task-manager/testing';
import { RunLog, sleep, startTaskApp, type TaskApp } from './support/task-app.js';
import { redisUrl, waitFor } from './support/redis.js';

const MINUTE = 60_000;

/** Waits, when fewer than `windowMs` are left in the current minute, until just after the next one begins. */
async function outsideMinuteBoundary(windowMs: number): Promise<void> {
  const left = MINUTE - (Date.now() % MINUTE);
  if (left < windowMs) await sleep(left + 200);
}

@TaskGroup({ name: 'Misfire' })
@Injectable()
class MisfireTasks {
  constructor(private readonly log: RunLog) {}

  @Task('* * * * *', { name: 'run_once', misfirePolicy: 'runOnce' })
  runOnce(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }

  @Task('* * * * *', { name: 'skip', misfirePolicy: 'skip' })
  skip(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }

  @Task('* * * * *', { name: 'run_all', misfirePolicy: 'runAll' })
  runAll(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

describe('misfire policies', () => {
  let app: TaskApp | undefined;
  afterEach(async () => {
    await app?.dispose();
    app = undefined;
  });

  it('applies runOnce / skip / runAll to slots missed while no leader ran', async () => {
    // The tasks run every minute: a minute boundary inside the test's window adds an on-time run of the next
    // slot (correctly) to the catch-up runs this test counts. Started 300 ms before one, it saw two runs of
    // run_once. So it starts well inside a minute.
    await outsideMinuteBoundary(15_000);
    app = await startTaskApp({
      groups: [MisfireTasks],
      label: 'misfire',
      options: { autoStart: false, misfireMaxRuns: 3 },
    });
    // Simulate 10 minutes without a leader: every task's next slot is 10 minutes old.
    const now = Date.now();
    const stale = Math.floor((now - 10 * MINUTE) / MINUTE) * MINUTE;
    const keys = new TaskManagerKeys(app.prefix);
    const redis = new Redis(redisUrl());
    try {
      for (const name of ['run_once', 'skip', 'run_all']) {
        await redis.zadd(keys.schedule, stale, encodeTaskId('Misfire', name));
        await redis.hset(keys.signatures, encodeTaskId('Misfire', name), '* * * * *|UTC');
      }
    } finally {
      redis.disconnect();
    }
    await app.service.start();
    await waitFor(() => app!.log.entries.length >= 4, { timeoutMs: 5000 });
    await sleep(500);

    // runOnce: one run for all the missed slots, at the latest of them.
    const once = app.log.of('run_once');
    expect(once).toHaveLength(1);
    const latest = once[0].slot;
    expect(latest % MINUTE).toBe(0);
    expect(Date.now() - latest).toBeLessThan(MINUTE + 5000);
    // skip: nothing, straight to the next future slot.
    expect(app.log.of('skip')).toEqual([]);
    // runAll: each missed slot, the latest misfireMaxRuns of them.
    const all = app.log
      .of('run_all')
      .map((r) => r.slot)
      .sort();
    expect(all).toEqual([latest - 2 * MINUTE, latest - MINUTE, latest]);

    for (const view of await app.service.getTasks()) expect(view.state.nextRun).toBe(latest + MINUTE);
    await waitFor(async () => (await app!.service.getRunHistory('Misfire', 'run_once')).length === 1, {
      timeoutMs: 2000,
    });
    const history = await app.service.getRunHistory('Misfire', 'run_once');
    expect(history[0].kind).toBe('misfire');
  });
});
