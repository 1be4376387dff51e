/**
 * A worker waits for runs with one blocking XREADGROUP over both run streams (high, normal). Up to Redis 7.0
 * a blocked read is answered from the first stream that gets an entry only; from Redis 7.2 (and on Valkey)
 * the command is re-executed and answers from every stream at once, i.e. up to `count` runs PER stream: a
 * worker with one free slot is handed a high-priority AND a normal run. Nothing here depends on which server
 * runs the suite: on Redis 7.0 these tests pass trivially, `npm run test:servers` runs them on Redis 8 and
 * Valkey 8, where they failed before the Redis driver handed such extra runs back to the stream.
 */
import { Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';
import { TaskManagerKeys, encodeTaskId } from 'nestjs-task-manager/testing';
import { runTag } from '../../libs/task-manager/src/wire/run-tag.js';
import { serverTimeMs } from '../../libs/task-manager/src/wire/server-time.js';
import { redisUrl, uniquePrefix, waitFor } from '../support/redis.js';
import { RunLog, sleep, startTaskApp, type TaskApp } from '../support/task-app.js';

const NEVER = '0 0 1 1 *'; // runs only when triggered
const GROUP = 'Streams';

@TaskGroup({ name: GROUP, tags: ['both'] })
@Injectable()
class BothPriorities {
  constructor(private readonly log: RunLog) {}

  /** allowParallel false: it does not start while another instance holds its running marker. */
  @Task(NEVER, { name: 'urgent', highPriority: true, allowParallel: false })
  urgent(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }

  @Task(NEVER, { name: 'normal' })
  normal(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

/** Same tasks, the high-priority one running 3 s. */
@TaskGroup({ name: GROUP, tags: ['both'] })
@Injectable()
class LongUrgent {
  constructor(private readonly log: RunLog) {}

  @Task(NEVER, { name: 'urgent', highPriority: true })
  async urgent(kwargs: Record<string, unknown>, ctx: TaskContext) {
    const end = this.log.start(kwargs, ctx);
    await sleep(3000);
    end();
  }

  @Task(NEVER, { name: 'normal' })
  normal(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

describe('runs published to both streams at once (Redis >= 7.2 answers a blocked read from both)', () => {
  const apps: TaskApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.dispose()));
  });

  it('a normal run delivered with a high-priority run that cannot start yet still runs at once', async () => {
    const app = await startTaskApp({ groups: [BothPriorities], label: 'streams', options: { concurrentTasks: 1 } });
    apps.push(app);
    // Another instance "runs" urgent for 3 more seconds: its running marker is live, so urgent is 'busy'.
    const keys = new TaskManagerKeys(app.prefix);
    const client = new Redis(redisUrl());
    try {
      const until = serverTimeMs(await client.time()) + 3000;
      const runningBy = runTag(true, '1-0');
      await client.hset(keys.taskState(encodeTaskId(GROUP, 'urgent')), 'running_by', runningBy, 'running_until', until);
    } finally {
      client.disconnect();
    }
    await sleep(300); // the worker is blocked on both streams
    const triggered = Date.now();
    await app.service.trigger({ tag: 'both' }); // one publish step: urgent (high) and normal

    // Before the fix, on Redis 8 / Valkey 8: the worker took both runs, urgent came back 'busy', and normal
    // stayed held by a worker waiting for a slot to free: it never ran, and the worker never read again.
    await waitFor(() => app.log.of('normal').length === 1, { timeoutMs: 2500, message: 'the normal run' });
    expect(app.log.of('normal')[0].startedAt - triggered).toBeLessThan(2000);
    // urgent went back to the one-off queue ('busy'), to be published again when the leader next looks.
    expect(app.log.of('urgent')).toEqual([]);
  }, 20_000);

  it('a normal run published with a long high-priority run goes to an idle instance, not behind it', async () => {
    const prefix = uniquePrefix('streams-two');
    for (let i = 0; i < 2; i++) {
      apps.push(await startTaskApp({ groups: [LongUrgent], prefix, options: { concurrentTasks: 1 } }));
    }
    await sleep(300); // both workers are blocked on both streams
    const triggered = Date.now();
    await apps[0].service.trigger({ tag: 'both' });

    const entries = () => apps.flatMap((app) => app.log.entries);
    await waitFor(() => entries().length === 2, { timeoutMs: 2500, message: 'both runs started' });
    const [urgent] = entries().filter((e) => e.task === 'urgent');
    const [normal] = entries().filter((e) => e.task === 'normal');
    // Before the fix, on Redis 8 / Valkey 8: the first worker took both and normal waited the 3 s of urgent.
    expect(normal.startedAt - triggered).toBeLessThan(2000);
    expect(normal.workerId).not.toBe(urgent.workerId);
  }, 20_000);
});
