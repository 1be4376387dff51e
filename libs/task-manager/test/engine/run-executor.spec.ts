/**
 * A run from its handler to its outcome, on the in-process driver and fake time: ctx (its logger is the
 * module's), timeouts, a lease lost mid-run, shutdown mid-run, failures and retries.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskContext } from '../../src/decorators/task-context.interface.js';
import { RunAbortedError } from '../../src/engine/run-executor.js';
import { makeTask } from '../support/task-definition.fixture.js';
import { EngineHarness, eventsOf } from './engine-harness.js';

const YEARLY = '0 0 1 1 *';

describe('RunExecutor and the run lifecycle', () => {
  let harness: EngineHarness;
  afterEach(async () => harness.stopAll());

  /** One instance leading with `task`, which is triggered once. */
  async function triggered(task: ReturnType<typeof makeTask>) {
    harness = new EngineHarness();
    const a = harness.instance('a', [task]);
    await harness.start(a);
    await harness.timers.until(() => a.orchestrator.isLeader);
    await a.port.state.trigger([task.id]);
    return a;
  }

  it('writes ctx.logger, failures and listener errors to the module logger', async () => {
    let ctx: TaskContext | undefined;
    const task = makeTask({
      name: 'chatty',
      expression: YEARLY,
      handler: (_kwargs, c) => {
        ctx = c;
        c.logger.log('hello from the handler');
        throw new Error('boom');
      },
    });
    harness = new EngineHarness();
    const a = harness.instance('a', [task]);
    a.events.on('run.failed', () => {
      throw new Error('listener broke');
    });
    await harness.start(a);
    await harness.timers.until(() => a.orchestrator.isLeader);
    await a.port.state.trigger([task.id]);
    await harness.timers.until(() => eventsOf(a, 'run.failed').length === 1);
    await harness.timers.settle();
    expect(a.logger.lines).toContainEqual({
      level: 'log',
      message: 'hello from the handler',
      context: 'Task reports/chatty',
    });
    expect(a.logger.text()).toMatch(/warn: Task reports\/chatty failed \(attempt 1 of 1\): boom; no attempt left/);
    expect(a.logger.text()).toMatch(/error: A "run.failed" listener threw: listener broke/);
    expect(ctx?.workerId).toBe('a');
  });

  it('aborts a handler at its timeout (reason "timeout") and records a failure without waiting for it', async () => {
    let reason: unknown;
    const task = makeTask({
      name: 'stuck',
      expression: YEARLY,
      timeoutMs: 2000,
      handler: (_kwargs, c) =>
        new Promise<void>(() => c.signal.addEventListener('abort', () => (reason = c.signal.reason))),
    });
    const a = await triggered(task);
    await harness.timers.until(() => eventsOf(a, 'run.started').length === 1);
    const startedAt = harness.timers.now();
    await harness.timers.until(() => eventsOf(a, 'run.failed').length === 1);
    // (`until` looks every 10 ms of fake time.)
    expect(harness.timers.now() - startedAt).toBeGreaterThanOrEqual(1990);
    expect(harness.timers.now() - startedAt).toBeLessThan(2100);
    expect(reason).toBeInstanceOf(RunAbortedError);
    expect((reason as RunAbortedError).abortCause).toBe('timeout');
    expect(eventsOf(a, 'run.failed')[0].error).toMatch(/timed out after 2000 ms/);
  });

  it('aborts ctx.signal with "lease-lost" and emits run.aborted when its run was taken over mid-run', async () => {
    let reason: unknown;
    const task = makeTask({
      name: 'long',
      expression: YEARLY,
      handler: (_kwargs, c) =>
        new Promise<void>((resolve) =>
          c.signal.addEventListener('abort', () => {
            reason = c.signal.reason;
            resolve();
          }),
        ),
    });
    const a = await triggered(task);
    await harness.timers.until(() => a.orchestrator.runningCount === 1);
    // Another instance took it over (recovered after its lease expired): its delivery is not ours any more.
    const { store } = harness;
    const [id] = [...store.normal.pending.keys()];
    store.normal.pending.delete(id);
    await harness.timers.until(() => eventsOf(a, 'run.aborted').length === 1, 10_000);
    expect(reason).toBeInstanceOf(RunAbortedError);
    expect((reason as RunAbortedError).abortCause).toBe('lease-lost');
    expect(eventsOf(a, 'run.aborted')[0]).toMatchObject({ taskName: 'long', reason: 'lease-lost' });
    expect(eventsOf(a, 'run.succeeded')).toEqual([]);
    expect(a.logger.text()).toMatch(/Lease of run .* was lost/);
  });

  it('retries a failed run after its backoff, with attempt 2, then records success', async () => {
    const attempts: number[] = [];
    const task = makeTask({
      name: 'flaky',
      expression: YEARLY,
      maxAttempts: 3,
      retryBackoff: 5,
      handler: (_kwargs, c) => {
        attempts.push(c.attempt);
        if (c.attempt < 3) throw new Error(`attempt ${c.attempt} fails`);
      },
    });
    const a = await triggered(task);
    await harness.timers.until(() => eventsOf(a, 'run.succeeded').length === 1, 120_000);
    expect(attempts).toEqual([1, 2, 3]);
    expect(eventsOf(a, 'run.failed').map((e) => e.error)).toEqual(['attempt 1 fails', 'attempt 2 fails']);
  });

  it('aborts a running handler with "shutdown" at the shutdown timeout and hands its run back', async () => {
    let reason: unknown;
    const task = makeTask({
      name: 'honours',
      expression: YEARLY,
      handler: (_kwargs, c) =>
        new Promise<void>((resolve) => {
          const timer = harness.timers.setTimeout(resolve, 600_000);
          c.signal.addEventListener('abort', () => {
            reason = c.signal.reason;
            harness.timers.clearTimeout(timer);
            resolve();
          });
        }),
    });
    harness = new EngineHarness();
    const a = harness.instance('a', [task], { shutdownTimeoutMs: 3000 });
    await harness.start(a);
    await harness.timers.until(() => a.orchestrator.isLeader);
    await a.port.state.trigger([task.id]);
    await harness.timers.until(() => a.orchestrator.runningCount === 1);
    await harness.stopAll();
    expect((reason as RunAbortedError).abortCause).toBe('shutdown');
    expect(eventsOf(a, 'run.aborted')).toMatchObject([{ reason: 'shutdown' }]);
    // Handed back: queued again for another instance, not pending on the one that left.
    expect(harness.store.normal.queued.size).toBe(1);
    expect(harness.store.normal.pending.size).toBe(0);
  });
});
