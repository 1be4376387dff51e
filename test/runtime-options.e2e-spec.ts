/**
 * Options that only matter at runtime, each with a non-default value and an assertion that fails when the
 * engine ignores it (issue 13 item 9): per-task `retryBackoff` and `timeoutMs`, the module's
 * `retryBackoffMultiplier`, `misfireToleranceMs` and `streamBlockMs`; and the abort of `ctx.signal` when a
 * run's lease is lost (its reason and the `run.aborted` event).
 */
import { Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Task,
  TaskGroup,
  TaskManagerEvents,
  type TaskContext,
  type TaskManagerEventMap,
} from 'nestjs-task-manager';
import { TaskManagerKeys, encodeTaskId } from 'nestjs-task-manager/testing';
import { DEFAULT_WORKER_SERVICE_NAME } from '../libs/task-manager/src/task-manager.constants.js';
import { RunLog, sleep, startTaskApp, type TaskApp } from './support/task-app.js';
import { redisUrl, waitFor } from './support/redis.js';

/** Never due on its own: run by `trigger()`. */
const NEVER = '0 0 1 1 *';

@TaskGroup({ name: 'Failing' })
@Injectable()
class FailingTasks {
  constructor(private readonly log: RunLog) {}

  @Task('* * * * * *', { name: 'own_backoff', retryBackoff: 2 })
  ownBackoff(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
    throw new Error('always fails');
  }

  @Task('* * * * * *', { name: 'module_backoff' })
  moduleBackoff(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
    throw new Error('always fails');
  }
}

/** What a handler saw of its signal. */
interface Abort {
  afterMs: number;
  reason: unknown;
}

@TaskGroup({ name: 'Aborted' })
@Injectable()
class AbortedTasks {
  readonly aborts = new Map<string, Abort>();

  @Task(NEVER, { name: 'bounded', timeoutMs: 300 })
  bounded(_kwargs: Record<string, unknown>, ctx: TaskContext) {
    return this.waitForAbort('bounded', ctx, 3000);
  }

  @Task(NEVER, { name: 'held' })
  held(_kwargs: Record<string, unknown>, ctx: TaskContext) {
    return this.waitForAbort('held', ctx, 10_000);
  }

  private waitForAbort(name: string, ctx: TaskContext, maxMs: number): Promise<void> {
    const started = Date.now();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxMs);
      ctx.signal.addEventListener('abort', () => {
        this.aborts.set(name, { afterMs: Date.now() - started, reason: ctx.signal.reason });
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

@TaskGroup({ name: 'Late' })
@Injectable()
class LateTasks {
  constructor(private readonly log: RunLog) {}

  @Task('* * * * * *', { name: 'within', misfirePolicy: 'skip' })
  within(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }

  @Task('* * * * * *', { name: 'beyond', misfirePolicy: 'skip' })
  beyond(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

describe('runtime options', () => {
  let app: TaskApp | undefined;
  afterEach(async () => {
    await app?.dispose();
    app = undefined;
  });

  const retryDelayOf = async (name: string) => (await app!.service.getTasks({ name }))[0].state.retryDelay;

  it('per-task retryBackoff and the module retryBackoffMultiplier set the delays after failures', async () => {
    app = await startTaskApp({
      groups: [FailingTasks],
      label: 'backoff-options',
      options: { retryBackoffMultiplier: 3, retryBackoffMax: 60 },
    });
    // own_backoff: its own first delay (2 s, not the module's 1 s).
    await waitFor(async () => (await retryDelayOf('own_backoff')) !== null, { timeoutMs: 5000 });
    expect(await retryDelayOf('own_backoff')).toBe(2);
    // module_backoff: 1 s, then 1 x 3 (not 1 x 2).
    await waitFor(async () => app!.log.of('module_backoff').length >= 2, { timeoutMs: 6000 });
    await waitFor(async () => (await retryDelayOf('module_backoff')) !== 1, { timeoutMs: 3000 });
    expect(await retryDelayOf('module_backoff')).toBe(3);
    expect(app.log.of('module_backoff')).toHaveLength(2);
  }, 30_000);

  it('per-task timeoutMs aborts ctx.signal with a timeout and fails the run', async () => {
    app = await startTaskApp({ groups: [AbortedTasks], label: 'timeout-option' });
    const tasks = app.app.get(AbortedTasks);
    await app.service.trigger({ name: 'bounded' });
    await waitFor(async () => (await app!.service.getStatistics('Aborted', 'bounded')).length === 1, {
      timeoutMs: 5000,
    });
    const abort = tasks.aborts.get('bounded');
    expect(abort?.afterMs).toBeGreaterThanOrEqual(250);
    expect(abort?.afterMs).toBeLessThan(1500);
    expect(abort?.reason).toMatchObject({ name: 'RunAbortedError', abortCause: 'timeout' });
    const [record] = await app.service.getStatistics('Aborted', 'bounded');
    expect(record).toMatchObject({ status: 'failed', error: 'RunAbortedError: timed out after 300 ms' });
  });

  it('a run whose lease is lost (taken over) has ctx.signal aborted with lease-lost and emits run.aborted', async () => {
    app = await startTaskApp({
      groups: [AbortedTasks],
      label: 'lease-lost',
      options: { runningHeartbeatInterval: 0.5 },
    });
    const tasks = app.app.get(AbortedTasks);
    const aborted: Array<TaskManagerEventMap['run.aborted']> = [];
    const started: Array<TaskManagerEventMap['run.started']> = [];
    const events = app.app.get(TaskManagerEvents);
    events.on('run.aborted', (e) => aborted.push(e));
    events.on('run.started', (e) => started.push(e));
    await app.service.trigger({ name: 'held' });
    await waitFor(() => started.length === 1, { timeoutMs: 5000 });
    // Recovery takes the run over (as once its lease expired): it acknowledges and deletes the message and
    // publishes the run anew (not done here: nobody else must run it). The holder's next heartbeat finds it gone.
    const stream = new TaskManagerKeys(app.prefix).streamNormal;
    const redis = new Redis(redisUrl());
    try {
      const pending = (await redis.xpending(stream, DEFAULT_WORKER_SERVICE_NAME, '-', '+', 10)) as Array<[string]>;
      expect(pending).toHaveLength(1);
      await redis.xack(stream, DEFAULT_WORKER_SERVICE_NAME, pending[0][0]);
      await redis.xdel(stream, pending[0][0]);
    } finally {
      redis.disconnect();
    }
    await waitFor(() => aborted.length === 1, { timeoutMs: 3000, message: 'run.aborted' });
    expect(aborted[0]).toMatchObject({ taskName: 'held', reason: 'lease-lost', runId: started[0].runId });
    const abort = tasks.aborts.get('held');
    expect(abort?.reason).toMatchObject({ name: 'RunAbortedError', abortCause: 'lease-lost' });
    // Not recorded here: the run is the other worker's now.
    await sleep(300);
    expect(await app.service.getStatistics('Aborted', 'held')).toEqual([]);
  });

  it('misfireToleranceMs decides which late slots still run as scheduled', async () => {
    app = await startTaskApp({
      groups: [LateTasks],
      label: 'misfire-tolerance',
      options: { autoStart: false, misfireToleranceMs: 10_000 },
    });
    // Slots 7-8 s late (within 10 s, beyond the default 5 s) and 13-14 s late (beyond 10 s).
    const second = Math.floor(Date.now() / 1000) * 1000;
    const planted = { within: second - 7000, beyond: second - 13_000 };
    const keys = new TaskManagerKeys(app.prefix);
    const redis = new Redis(redisUrl());
    try {
      for (const [name, slot] of Object.entries(planted)) {
        await redis.zadd(keys.schedule, slot, encodeTaskId('Late', name));
        await redis.hset(keys.signatures, encodeTaskId('Late', name), '* * * * * *|UTC');
      }
    } finally {
      redis.disconnect();
    }
    await app.service.start();
    await waitFor(() => app!.log.of('within').length > 0 && app!.log.of('beyond').length > 0, { timeoutMs: 5000 });
    await sleep(300);
    // within: on time by this tolerance, so run as scheduled, then every slot after it (caught up).
    expect(app.log.of('within')[0].slot).toBe(planted.within);
    const [first] = (await app.service.getStatistics('Late', 'within')).slice(-1);
    expect(first).toMatchObject({ kind: 'scheduled' });
    // beyond: missed, skipped (misfirePolicy skip); its next run is a future slot.
    expect(app.log.of('beyond')[0].slot).toBeGreaterThan(second);
  });

  it('streamBlockMs is the block time of the reads of the run streams', async () => {
    const monitor = new Redis(redisUrl());
    const commands: string[] = [];
    const feed = await monitor.monitor();
    feed.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toUpperCase() === 'XREADGROUP') commands.push(args.join(' '));
    });
    try {
      app = await startTaskApp({ groups: [LateTasks], label: 'stream-block', options: { streamBlockMs: 1234 } });
      const stream = new TaskManagerKeys(app.prefix).streamNormal;
      await waitFor(() => commands.some((c) => c.includes(stream) && c.includes('BLOCK 1234')), {
        timeoutMs: 5000,
        message: 'a blocked read with BLOCK 1234',
      });
      expect(commands.filter((c) => c.includes(stream) && /BLOCK (?!1234\b)\d+/.test(c))).toEqual([]);
    } finally {
      feed.disconnect();
      monitor.disconnect();
    }
  });
});
