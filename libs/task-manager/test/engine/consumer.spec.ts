/**
 * The consumer alone on the in-process driver and fake time: shutdown in each phase (while reading, with
 * runs delivered but not started, with runs executing), priorities, the concurrency bound, late re-reads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterClock } from '../../src/engine/cluster-clock.js';
import type { CoordinationPort, RunMessage, RunQueuePort } from '../../src/engine/coordination.port.js';
import { Consumer } from '../../src/engine/consumer.js';
import { engineSettings } from '../../src/engine/engine-settings.js';
import { RunExecutor } from '../../src/engine/run-executor.js';
import { createMemoryCoordination } from '../../src/memory/memory-coordination.js';
import { MemoryStore } from '../../src/memory/memory-store.js';
import { resolveOptions } from '../../src/options/resolve-options.js';
import type { TaskDefinition } from '../../src/registry/task-definition.js';
import { TaskRegistry } from '../../src/registry/task-registry.js';
import { dueOf, itemFor, lead, readRuns, scheduleAt } from '../contract/helpers.js';
import { makeTask } from '../support/task-definition.fixture.js';
import { silent } from './engine-harness.js';
import { ManualTimers } from './manual-timers.js';

const options = { statisticsHistoryRuns: 10, statisticsRedisExpiration: 60, partitions: 1 };

/** A worker `c1` and the in-process backend it shares with the test, on fake time. */
async function setup(tasks: TaskDefinition[]) {
  const timers = new ManualTimers();
  const store = new MemoryStore(timers);
  const port: CoordinationPort = createMemoryCoordination(options, 'c1', silent, store);
  await port.lifecycle.connect();
  const registry = new TaskRegistry();
  for (const task of tasks) registry.addTask(task);
  const token = await lead(port);
  const events: Array<{ name: string; taskName: string }> = [];
  /** Publishes one run of each of `tasks` (a second ago). */
  const publish = async (published = tasks) => {
    const slot = timers.now() - 1000;
    const items = [];
    for (const task of published) {
      await scheduleAt(port, task.id, slot);
      const due = (await dueOf(port, task.id, timers.now()))!;
      items.push(itemFor(due, { highPriority: task.highPriority, allowParallel: task.allowParallel }));
    }
    await port.schedule.publish(token, timers.now(), items);
    return slot;
  };
  /** A consumer on `runs` (default: the driver's), running up to `concurrency` runs. */
  const consumerOf = (concurrency: number, runs: RunQueuePort = port.runs) => {
    const defaults = engineSettings(resolveOptions({ keyPrefix: 'consumer-spec' }, '/nonexistent')).consumer;
    const settings = { ...defaults, concurrency, blockMs: 5000, leaseTtlMs: 30_000, leaseGiveUpMs: 20_000 };
    const clock = new ClusterClock(timers);
    return new Consumer(
      {
        port: runs,
        registry,
        executor: new RunExecutor({ workerId: 'c1', logger: silent, clock, timers }),
        workerId: 'c1',
        events: {
          emit: (name, event) => void events.push({ name, taskName: (event as { taskName: string }).taskName }),
        },
        logger: silent,
        clock,
        timers,
      },
      settings,
    );
  };
  /** Stops `consumer` with `timeoutMs`, letting fake time run; returns the fake time it took. */
  const stop = async (consumer: Consumer, timeoutMs: number) => {
    let done = false;
    const stopping = consumer.stop(timeoutMs).finally(() => (done = true));
    const took = await timers.until(() => done, 120_000, 1);
    await stopping;
    return took;
  };
  return { timers, store, port, registry, publish, consumerOf, stop, events };
}

/** A read that delivers up to `count` runs per priority, normal ones first (a blocked XREADGROUP on both streams may). */
function perPriority(runs: RunQueuePort): RunQueuePort {
  return Object.assign(Object.create(runs) as RunQueuePort, {
    read: async (consumer: string, count: number, blockMs: number) =>
      (await runs.read(consumer, count * 2, blockMs)).reverse(),
  });
}

/** A handler that runs for `ms` of fake time, or until its signal aborts (noted in `aborted`). */
function takes(timers: ManualTimers, ms: number, aborted: string[] = []): TaskDefinition['handler'] {
  return (_kwargs, ctx) =>
    new Promise<void>((resolve) => {
      const timer = timers.setTimeout(resolve, ms);
      ctx.signal.addEventListener('abort', () => {
        timers.clearTimeout(timer);
        aborted.push(ctx.taskName);
        resolve();
      });
    });
}

describe('Consumer', () => {
  let cleanup: (() => Promise<unknown>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('stops at once while reading (the blocked read is interrupted), and takes no run afterwards', async () => {
    const task = makeTask({ name: 'later' });
    const { timers, store, publish, consumerOf, stop } = await setup([task]);
    const consumer = consumerOf(2);
    consumer.start();
    await timers.advance(1000); // blocked in its read (blockMs 5 s)
    expect(await stop(consumer, 30_000)).toBeLessThan(10);
    await publish();
    await timers.advance(10_000);
    expect(store.normal.queued.size).toBe(1);
    expect(store.normal.pending.size).toBe(0);
  });

  // Issue 10 item 1: runs aborted by the shutdown timeout, and runs delivered but not started, were left
  // pending on the departed consumer; nothing re-ran them (and an allowParallel=false task stayed blocked).
  it('hands its runs back when it stops: aborted ones and those delivered but not started', async () => {
    const aborted: string[] = [];
    const { timers, store, port, registry, publish, consumerOf, stop } = await setup([]);
    for (const [name, highPriority] of [
      ['urgent', true],
      ['normal', false],
    ] as const) {
      registry.addTask(
        makeTask({ name, highPriority, allowParallel: false, handler: takes(timers, 600_000, aborted) }),
      );
    }
    const slot = await publish(registry.listTasks());
    // One slot, but a read that delivers up to `count` runs per priority: the high one starts, the normal one waits.
    const consumer = consumerOf(1, perPriority(port.runs));
    consumer.start();
    await timers.advance(100);
    expect(consumer.runningCount).toBe(1);
    expect(consumer.heldRuns()).toHaveLength(2);
    // Stops within the shutdown timeout, the abort grace and the hand-back.
    expect(await stop(consumer, 50)).toBeLessThanOrEqual(50 + 10);
    expect(aborted).toEqual(['urgent']);
    // Both runs are queued again, for another instance, with their slot; nothing is pending on c1.
    const again = await readRuns(port, 'c2');
    expect(again.map((r) => [r.taskId, r.slot]).sort()).toEqual(
      registry
        .listTasks()
        .map((t) => [t.id, slot])
        .sort(),
    );
    expect([...store.high.pending.values(), ...store.normal.pending.values()].map((d) => d.consumer)).toEqual([
      'c2',
      'c2',
    ]);
  });

  it('lets running handlers finish within the shutdown timeout, and records them', async () => {
    const { timers, store, registry, publish, consumerOf, stop, events } = await setup([]);
    const aborted: string[] = [];
    registry.addTask(makeTask({ name: 'finishing', handler: takes(timers, 2000, aborted) }));
    await publish(registry.listTasks());
    const consumer = consumerOf(2);
    consumer.start();
    await timers.until(() => consumer.runningCount === 1);
    const took = await stop(consumer, 30_000);
    // It waited for the handler (2 s), no longer.
    expect(took).toBeGreaterThanOrEqual(1990);
    expect(took).toBeLessThan(2100);
    expect(aborted).toEqual([]);
    expect(events.map((e) => e.name)).toEqual(['run.started', 'run.succeeded']);
    // Recorded, not handed back.
    expect(store.normal.queued.size + store.normal.pending.size).toBe(0);
    expect(store.history(registry.listTasks()[0].id)?.records).toMatchObject([{ status: 'success' }]);
  });

  it('starts high-priority runs before normal ones, whatever the delivery order', async () => {
    const started: string[] = [];
    const tasks = ['n1', 'n2', 'h1'].map((name) =>
      makeTask({
        name,
        highPriority: name.startsWith('h'),
        handler: async (_kwargs, ctx) => {
          started.push(ctx.taskName);
        },
      }),
    );
    const { timers, port, publish, consumerOf, stop } = await setup(tasks);
    await publish();
    const consumer = consumerOf(1, perPriority(port.runs));
    cleanup = () => stop(consumer, 0);
    consumer.start();
    await timers.until(() => started.length === 3, 10_000);
    // (The first read delivers h1 and n1, n1 first.)
    expect(started[0]).toBe('h1');
  });

  it('never runs more than concurrentTasks handlers at once, and runs them all', async () => {
    let running = 0;
    let most = 0;
    let ran = 0;
    const { timers, port, registry, publish, consumerOf, stop } = await setup([]);
    for (let i = 0; i < 10; i++) {
      registry.addTask(
        makeTask({
          name: `t${i}`,
          highPriority: i % 2 === 0,
          handler: async () => {
            most = Math.max(most, ++running);
            await new Promise<void>((resolve) => timers.setTimeout(resolve, 100 + i * 10));
            running--;
            ran++;
          },
        }),
      );
    }
    await publish(registry.listTasks());
    const consumer = consumerOf(3, perPriority(port.runs));
    cleanup = () => stop(consumer, 0);
    consumer.start();
    await timers.until(() => {
      expect(consumer.runningCount).toBeLessThanOrEqual(3);
      return ran === 10;
    }, 60_000);
    expect(most).toBe(3);
  });

  // Issue 13 item 9: the start gate of allowParallel=false is the consumer's, not only the publish script's.
  // Two runs of one serial task can be queued at once (published before the task was redefined serial, or
  // re-published by recovery while the first still runs): the consumer must ask the start script with the
  // task's allowParallel, so that the second goes back to the one-off queue instead of running alongside.
  it('starts one run of an allowParallel=false task at a time: a second one delivered meanwhile is re-queued', async () => {
    let running = 0;
    let most = 0;
    const { timers, port, registry, consumerOf, stop } = await setup([]);
    registry.addTask(
      makeTask({
        name: 'serial',
        allowParallel: false,
        handler: async () => {
          most = Math.max(most, ++running);
          await new Promise<void>((resolve) => timers.setTimeout(resolve, 300));
          running--;
        },
      }),
    );
    const [task] = registry.listTasks();
    const token = await lead(port);
    const slot = timers.now() - 2000;
    await scheduleAt(port, task.id, slot);
    // Published as a parallel task would be: the publish gate lets both slots through.
    const due = (await dueOf(port, task.id, slot))!;
    await port.schedule.publish(token, timers.now(), [
      itemFor(due, { slots: [slot, slot + 1000], allowParallel: true }),
    ]);
    const consumer = consumerOf(2);
    cleanup = () => stop(consumer, 0);
    consumer.start();
    await timers.advance(150);
    expect(consumer.runningCount).toBe(1);
    expect(await dueOf(port, task.id, timers.now() + 1000, 'oneOff')).toMatchObject({ slot: slot + 1000 });
    await timers.advance(250);
    expect(most).toBe(1);
  });

  // A re-read of the pending runs (after a reconnection) sent while a run's completion was in flight returns
  // that run although it just finished: seen on Redis Cluster, where the client also reports 'ready' after
  // refreshing its slots. It must not run again.
  it('never runs again a run that already left it (a late re-read)', async () => {
    let executions = 0;
    const task = makeTask({ name: 'fast', handler: () => void executions++ });
    const { timers, port, publish, consumerOf, stop } = await setup([task]);
    await publish();
    let consumer: Consumer | undefined;
    let delivered: RunMessage | undefined;
    let replayed = false;
    const replaying: RunQueuePort = Object.assign(Object.create(port.runs) as RunQueuePort, {
      read: async (name: string, count: number, blockMs: number) => {
        if (delivered && executions === 1 && !replayed) {
          // The re-read's reply arrives once the run's completion was recorded and the run left the worker.
          while (consumer!.heldRuns().length > 0) await timers.settle(1);
          replayed = true;
          return [delivered];
        }
        const runs = await port.runs.read(name, count, blockMs);
        delivered ??= runs[0];
        return runs;
      },
      // Like start-runs on Redis: a run published less than a third of a lease ago is not re-checked.
      start: async (name: string, runs: Parameters<RunQueuePort['start']>[1], leaseTtlMs: number) =>
        replayed && runs.length === 1 && runs[0].run === delivered
          ? ['start' as const]
          : port.runs.start(name, runs, leaseTtlMs),
    });
    consumer = consumerOf(2, replaying);
    cleanup = () => stop(consumer, 0);
    consumer.start();
    await timers.advance(300);
    expect(replayed).toBe(true);
    expect(executions).toBe(1);
  });

  // Simulator seed 2203: the process froze while its start request was in flight; on waking, the lease keeper
  // gave the run up (lease not renewed in time: it may be re-run elsewhere), then the start's reply arrived and
  // the handler ran anyway, while the recovered run started on another instance: one slot ran twice.
  it('never runs a run given up while its start request was in flight; hands it back instead', async () => {
    let executions = 0;
    const ran: Array<{ slot: number; givenUp: boolean }> = [];
    const task = makeTask({
      name: 'frozen',
      handler: (_kwargs, ctx) =>
        void (executions++, ran.push({ slot: ctx.scheduledAt.getTime(), givenUp: ctx.signal.aborted })),
    });
    const { timers, port, publish, consumerOf, stop } = await setup([task]);
    const slot = await publish();
    let consumer: Consumer | undefined;
    let frozen = false;
    const freezing: RunQueuePort = Object.assign(Object.create(port.runs) as RunQueuePort, {
      start: async (name: string, runs: Parameters<RunQueuePort['start']>[1], leaseTtlMs: number) => {
        const decisions = await port.runs.start(name, runs, leaseTtlMs);
        if (frozen) return decisions;
        frozen = true;
        // Before the reply is handled, the lease keeper gives the run up (what expireUnrenewed does).
        for (const held of consumer!.heldRuns()) {
          held.lost = true;
          held.expired = true;
          held.controller.abort(new Error('the run lease could not be renewed'));
        }
        return decisions;
      },
    });
    consumer = consumerOf(2, freezing);
    cleanup = () => stop(consumer, 0);
    consumer.start();
    await timers.advance(300);
    // Not run when given up; handed back (a new message, same slot), read again and run once.
    expect(frozen).toBe(true);
    expect(executions).toBe(1);
    expect(ran).toEqual([{ slot, givenUp: false }]);
  });

  // Simulator seed 4714: a hand-back was applied but its reply lost; Redis was wiped (FLUSHALL) before the
  // consumer tried again. The retry found the run's delivery gone and its data generation wiped, so it took the
  // run for one kept through the wipe and published it again, although the first hand-back had published it
  // already (and another instance had run and recorded it): the slot was recorded twice.
  it('a hand-back tried again after a lost reply never publishes the run as kept through a wipe', async () => {
    let executions = 0;
    const task = makeTask({ name: 'handed', handler: () => void executions++ });
    const { timers, store, port, publish, consumerOf, stop } = await setup([task]);
    await publish();
    const calls: string[] = [];
    const lossy: RunQueuePort = Object.assign(Object.create(port.runs) as RunQueuePort, {
      // The start's reply is lost: the run is to be handed back.
      start: async (name: string, runs: Parameters<RunQueuePort['start']>[1], leaseTtlMs: number) => {
        calls.push('start');
        if (calls.length > 1) return port.runs.start(name, runs, leaseTtlMs);
        throw new Error('Connection lost (runs.start)');
      },
      handBack: async (name: string, runs: RunMessage[], leaseTtlMs: number) => {
        calls.push('handBack');
        const handed = await port.runs.handBack(name, runs, leaseTtlMs);
        if (calls.filter((c) => c === 'handBack').length > 1) return handed;
        store.clear(); // applied (published again); then FLUSHALL; the reply is lost
        throw new Error('Connection lost (runs.handBack)');
      },
    });
    const consumer = consumerOf(2, lossy);
    cleanup = () => stop(consumer, 0);
    consumer.start();
    await timers.advance(30_000);
    expect(calls.slice(0, 3)).toEqual(['start', 'handBack', 'handBack']);
    expect(store.normal.queued.size + store.normal.pending.size).toBe(0);
    expect(executions).toBe(0);
  });

  /**
   * A failing run (a retry 1 s later) whose first outcome sending is carried out, then the data wiped, its reply
   * lost; the next `down` sendings fail too (the link is down). Returns each carried-out sending's result.
   */
  async function outcomeResentAfterWipe(down: number) {
    const task = makeTask({ name: 'failing', maxAttempts: 2, handler: () => Promise.reject(new Error('boom')) });
    const { timers, store, port, publish, consumerOf, stop } = await setup([task]);
    await publish();
    const results: string[] = [];
    let sendings = 0;
    const lossy: RunQueuePort = Object.assign(Object.create(port.runs) as RunQueuePort, {
      complete: async (...args: Parameters<RunQueuePort['complete']>) => {
        sendings++;
        if (sendings > 1 && sendings <= 1 + down) throw new Error('Connection lost (runs.complete)');
        const result = await port.runs.complete(...args);
        results.push(result);
        if (sendings > 1) return result;
        // Recorded (a retry queued 1 s later); then FLUSHALL, which erases the history entry; the reply is lost.
        store.clear();
        throw new Error('Connection lost (runs.complete)');
      },
    });
    const consumer = consumerOf(2, lossy);
    cleanup = () => stop(consumer, 0);
    consumer.start();
    await timers.advance(30_000);
    const history = await port.state.readHistory(task.id, 10);
    const retry = await dueOf(port, task.id, timers.now() + 3_600_000, 'oneOff');
    return { results, history, retry };
  }

  it('an outcome sent again after a wipe, once a retry it queued may have run, is not recorded again (finding 5)', async () => {
    // Sendings 250, 500 and 1000 ms apart: the last one comes 1.75 s after the first, past half the retry delay.
    const { results, history, retry } = await outcomeResentAfterWipe(2);
    expect(results).toEqual(['recorded', 'lost']);
    expect(history).toEqual([]);
    expect(retry).toBeUndefined();
  });

  it('an outcome sent again after a wipe, before a retry it queued can have been published, is recorded', async () => {
    // The next sending, 250 ms later: the retry the first one queued (due 1 s later) went with the wipe.
    const { results, history, retry } = await outcomeResentAfterWipe(0);
    expect(results).toEqual(['recorded', 'recordedAfterLoss']);
    expect(history).toHaveLength(1);
    expect(retry).toMatchObject({ attempt: 2, kind: 'retry' });
  });

  // The soak's freeze-worker fault: the process froze (SIGSTOP) just as the answer to its start request reached
  // its socket. On waking, Node handles that answer ("start") before any timer, so the lease keeper has not yet
  // given the run up: the age of the answer itself must tell that the lease may have expired meanwhile (the
  // run recovered and started elsewhere).
  it('never runs a run whose start was answered later than a lease may go unrenewed; hands it back', async () => {
    const ran: boolean[] = [];
    const task = makeTask({ name: 'stale', handler: (_kwargs, ctx) => void ran.push(ctx.signal.aborted) });
    const { timers, port, publish, consumerOf, stop } = await setup([task]);
    const slot = await publish();
    let frozen = false;
    const freezing: RunQueuePort = Object.assign(Object.create(port.runs) as RunQueuePort, {
      start: async (name: string, runs: Parameters<RunQueuePort['start']>[1], leaseTtlMs: number) => {
        const decisions = await port.runs.start(name, runs, leaseTtlMs);
        if (!frozen) {
          frozen = true;
          await new Promise<void>((resolve) => timers.setTimeout(resolve, 25_000)); // the answer waits 25 s
        }
        return decisions;
      },
      handBack: (name: string, runs: RunMessage[], leaseTtlMs: number) => {
        handedBack.push(...runs.map((r) => r.slot));
        return port.runs.handBack(name, runs, leaseTtlMs);
      },
    });
    const handedBack: number[] = [];
    const consumer = consumerOf(2, freezing);
    cleanup = () => stop(consumer, 0);
    consumer.start();
    await timers.advance(26_000);
    // Not run on the stale answer: handed back, read again and run once, on a fresh answer.
    expect(frozen).toBe(true);
    expect(handedBack).toEqual([slot]);
    expect(ran).toEqual([false]);
  });
});
