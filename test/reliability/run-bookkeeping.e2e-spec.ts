/**
 * Findings of the chaos soak (docs/reliability.md), reduced to one instance and one cause each; all fixed,
 * kept as regression tests.
 *
 * #1: run message ids are generated per stream (`<ms>-<seq>`), and the leader publishes a step's high and
 * normal runs in one script, so the first high and the first normal run of a step can get the same id. The
 * consumer kept the runs it held in a map keyed by message id alone, so a high and a normal run held at once
 * overwrote each other's entry (more handlers than concurrentTasks, runs duplicated or lost). Held runs are
 * now keyed by priority and id.
 * #5: a run in flight when Redis lost its data was reported lost and aborted (see the test).
 */
import { Injectable } from '@nestjs/common';
import { Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';

/** A 4-second run that records whether its signal was aborted. */
@TaskGroup({ name: 'Long' })
@Injectable()
class LongTask {
  static outcome: { ended: boolean; aborted: boolean } | undefined;

  constructor(readonly log: RunLog) {}

  @Task('0 0 1 1 *', { name: 'four_seconds' })
  async fourSeconds(kwargs: Record<string, unknown>, ctx: TaskContext) {
    const end = this.log.start(kwargs, ctx);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 4000);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    end();
    LongTask.outcome = { ended: true, aborted: ctx.signal.aborted };
  }
}
import { Redis } from 'ioredis';
import { startRedisServer, waitFor, type RedisServerHandle } from '../support/redis.js';
import { RunLog, sleep, startTaskApp, type TaskApp } from '../support/task-app.js';

/** Handlers running right now, and the most seen at once. */
const concurrency = { running: 0, max: 0 };

async function work(log: RunLog, kwargs: Record<string, unknown>, ctx: TaskContext, ms: number): Promise<void> {
  concurrency.running++;
  concurrency.max = Math.max(concurrency.max, concurrency.running);
  const end = log.start(kwargs, ctx);
  try {
    await sleep(ms);
  } finally {
    end();
    concurrency.running--;
  }
}

function groupWith(highPriority: boolean) {
  @TaskGroup({ name: highPriority ? 'Both' : 'NormalOnly' })
  @Injectable()
  class Tasks {
    constructor(readonly log: RunLog) {}

    @Task('* * * * * *', { name: 'urgent', highPriority, kwargs: [{ i: 1 }, { i: 2 }, { i: 3 }] })
    async urgent(kwargs: Record<string, unknown>, ctx: TaskContext) {
      await work(this.log, kwargs, ctx, 50);
    }

    @Task('* * * * * *', { name: 'slow', kwargs: [{ i: 1 }, { i: 2 }] })
    async slow(kwargs: Record<string, unknown>, ctx: TaskContext) {
      await work(this.log, kwargs, ctx, 1100);
    }

    @Task('* * * * * *', { name: 'normal', kwargs: [{ i: 1 }, { i: 2 }, { i: 3 }] })
    async normal(kwargs: Record<string, unknown>, ctx: TaskContext) {
      await work(this.log, kwargs, ctx, 50);
    }
  }
  return Tasks;
}

const CONCURRENT_TASKS = 4;

describe('run bookkeeping of a worker (soak findings)', () => {
  let app: TaskApp | undefined;
  beforeEach(() => {
    concurrency.running = 0;
    concurrency.max = 0;
  });
  afterEach(async () => {
    await app?.dispose();
    app = undefined;
  });

  async function runFor(highPriority: boolean, ms: number): Promise<void> {
    app = await startTaskApp({
      groups: [groupWith(highPriority)],
      label: 'rel-held',
      options: { concurrentTasks: CONCURRENT_TASKS, runningHeartbeatInterval: 1, leaderHeartbeatInterval: 1 },
    });
    await sleep(ms);
  }

  it('control: with normal-priority runs only, never more than concurrentTasks handlers at once', async () => {
    await runFor(false, 6000);
    expect(app!.log.entries.length).toBeGreaterThan(20);
    expect(concurrency.max).toBeLessThanOrEqual(CONCURRENT_TASKS);
  }, 30_000);

  // Soak finding #1 (fixed): Consumer.held was keyed by message id alone, and ids collide across the high and
  // normal streams; a worker with concurrentTasks 4 ran 6-9 handlers at once (and, in the soak, duplicated
  // or lost runs whose entry was overwritten). Held runs are now keyed by priority and id.
  it('with high and normal runs due together, never more than concurrentTasks handlers at once', async () => {
    await runFor(true, 6000);
    expect(app!.log.entries.length).toBeGreaterThan(20);
    expect(concurrency.max).toBeLessThanOrEqual(CONCURRENT_TASKS);
  }, 30_000);

  describe('a run in flight when Redis loses its data (private redis-server)', () => {
    let server: RedisServerHandle | undefined;
    afterEach(async () => {
      await app?.close();
      app = undefined;
      await server?.stop();
    });

    // Finding #5 (fixed): after FLUSHALL (or a restart of a non-persistent Redis) renew-runs could not XCLAIM
    // the vanished message and reported the run "lost (taken over after it expired)"; the handler was aborted
    // although nobody took the run over, and nothing re-ran the slot. Every run now carries the data
    // generation it was published in: a message gone with its generation is "vanished", not "lost".
    it('keeps running the handler through FLUSHALL and records its outcome', async () => {
      server = await startRedisServer();
      app = await startTaskApp({
        groups: [LongTask],
        label: 'rel-wipe',
        options: { redis: server.url, runningHeartbeatInterval: 0.5, leaderHeartbeatInterval: 0.5 },
      });
      LongTask.outcome = undefined;
      await app.service.trigger({ name: 'four_seconds' });
      await waitFor(() => app!.log.of('four_seconds').length === 1, { timeoutMs: 5000 });
      const redis = new Redis(server.url);
      await redis.flushall();
      redis.disconnect();
      await waitFor(() => LongTask.outcome, { timeoutMs: 8000 });
      expect(LongTask.outcome).toEqual({ ended: true, aborted: false });
      // Its outcome is recorded (in the new data generation), once.
      await waitFor(async () => (await app!.service.getRunHistory('Long', 'four_seconds')).length === 1, {
        timeoutMs: 3000,
      });
      const [record] = await app.service.getRunHistory('Long', 'four_seconds');
      expect(record.status).toBe('success');
    }, 30_000);
  });
});
