/**
 * The unchanged engine on the in-process driver: the real module, with only its coordination provider
 * replaced by `createMemoryCoordination` (no Redis). Scheduled runs, triggers, retries, allowParallel,
 * dynamic tasks and a clean shutdown.
 */
import { Injectable, type INestApplicationContext, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerIdentity } from '../src/engine/worker-identity.js';
import { RegisterFunction } from '../src/decorators/register-function.decorator.js';
import type { TaskContext } from '../src/decorators/task-context.interface.js';
import { Task } from '../src/decorators/task.decorator.js';
import { TaskGroup } from '../src/decorators/task-group.decorator.js';
import { createMemoryCoordination } from '../src/memory/memory-coordination.js';
import type { ResolvedTaskManagerOptions } from '../src/options/resolved-options.js';
import {
  TASK_MANAGER_COORDINATION,
  TASK_MANAGER_LOGGER,
  TASK_MANAGER_RESOLVED_OPTIONS,
  TASK_MANAGER_WORKER,
} from '../src/task-manager.constants.js';
import { TaskManagerModule } from '../src/task-manager.module.js';
import { TaskManagerService } from '../src/task-manager.service.js';

const silent: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined };

interface Execution {
  task: string;
  attempt: number;
  slot: number;
  startedAt: number;
  endedAt?: number;
}

@TaskGroup({ name: 'Memory' })
@Injectable()
class MemoryTasks {
  readonly runs: Execution[] = [];

  of(task: string): Execution[] {
    return this.runs.filter((r) => r.task === task);
  }

  @Task('* * * * * *', { name: 'tick', register: false })
  tick(_kwargs: unknown, ctx: TaskContext) {
    this.runs.push({ task: 'tick', attempt: ctx.attempt, slot: ctx.scheduledAt.getTime(), startedAt: Date.now() });
  }

  @Task('0 0 1 1 *', { name: 'flaky', maxAttempts: 2, retryBackoff: 0.2, register: false })
  flaky(_kwargs: unknown, ctx: TaskContext) {
    this.runs.push({ task: 'flaky', attempt: ctx.attempt, slot: ctx.scheduledAt.getTime(), startedAt: Date.now() });
    if (ctx.attempt === 1) throw new Error('first attempt fails');
  }

  @Task('* * * * * *', { name: 'slow', allowParallel: false, register: false })
  async slow(_kwargs: unknown, ctx: TaskContext) {
    const run: Execution = {
      task: 'slow',
      attempt: ctx.attempt,
      slot: ctx.scheduledAt.getTime(),
      startedAt: Date.now(),
    };
    this.runs.push(run);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    run.endedAt = Date.now();
  }

  @RegisterFunction('echo')
  echo(kwargs: { tag: string }) {
    this.runs.push({ task: `echo:${kwargs.tag}`, attempt: 1, slot: 0, startedAt: Date.now() });
  }
}

const waitFor = async (predicate: () => boolean | Promise<boolean>, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('engine on the in-process driver', () => {
  let app: INestApplicationContext | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('schedules, triggers, retries, serializes and runs dynamic tasks without Redis', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TaskManagerModule.forRoot({
          keyPrefix: 'memory-engine',
          logger: silent,
          leaderHeartbeatInterval: 0.2,
          runningHeartbeatInterval: 0.2,
          streamBlockMs: 200,
          shutdownTimeoutMs: 2000,
        }),
      ],
      providers: [MemoryTasks],
    })
      .overrideProvider(TASK_MANAGER_COORDINATION)
      .useFactory({
        factory: (options: ResolvedTaskManagerOptions, worker: WorkerIdentity, logger: LoggerService) =>
          createMemoryCoordination(options, worker.id, logger),
        inject: [TASK_MANAGER_RESOLVED_OPTIONS, TASK_MANAGER_WORKER, TASK_MANAGER_LOGGER],
      })
      .compile();
    app = moduleRef;
    await app.init();
    const tasks = app.get(MemoryTasks);
    const service = app.get(TaskManagerService);

    // Every second, one run per slot.
    await waitFor(() => tasks.of('tick').length >= 2);
    const slots = tasks.of('tick').map((r) => r.slot);
    expect(new Set(slots).size).toBe(slots.length);
    expect(slots.every((s) => s % 1000 === 0)).toBe(true);

    // Trigger: the failing first attempt is retried after its backoff.
    await service.trigger({ groupName: 'Memory', name: 'flaky' });
    await waitFor(() => tasks.of('flaky').length >= 2);
    expect(tasks.of('flaky').map((r) => r.attempt)).toEqual([1, 2]);
    await waitFor(async () => (await service.getStatistics('Memory', 'flaky')).length === 2);
    const history = await service.getStatistics('Memory', 'flaky');
    expect(history.map((h) => [h.attempt, h.status, h.kind])).toEqual([
      [1, 'failed', 'trigger'],
      [2, 'success', 'retry'],
    ]);
    const [flaky] = await service.getTasks({ groupName: 'Memory', name: 'flaky' });
    expect(flaky.state).toMatchObject({ lastStatus: 'success', failures: 0, retryDelay: null });

    // allowParallel false: runs of 'slow' never overlap although it takes longer than its period.
    await waitFor(() => tasks.of('slow').filter((r) => r.endedAt).length >= 2, 6000);
    const slow = tasks.of('slow');
    for (let i = 1; i < slow.length; i++) expect(slow[i].startedAt).toBeGreaterThanOrEqual(slow[i - 1].endedAt!);

    // A dynamic task, created at runtime.
    await service.createDynamicTask({
      groupName: 'Memory',
      functionName: 'echo',
      cronExpression: '* * * * * *',
      name: 'echo-a',
      kwargs: { tag: 'a' },
    });
    await waitFor(() => tasks.of('echo:a').length >= 1);
    await service.deleteDynamicTask('Memory', 'echo-a');

    expect(service.health()).toMatchObject({
      status: 'healthy',
      driver: 'memory',
      redisConnected: false,
      backendConnected: true,
      isLeader: true,
    });
    expect((await service.workers()).map((w) => w.isLeader)).toEqual([true]);
  }, 20_000);
});
