import { Injectable } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Task,
  TaskGroup,
  TaskManagerEvents,
  type TaskContext,
  type TaskManagerEventMap,
  type TaskManagerEventName,
} from 'nestjs-task-manager';
import { startTaskApp, type TaskApp } from './support/task-app.js';
import { waitFor } from './support/redis.js';

@TaskGroup({ name: 'Observed' })
@Injectable()
class ObservedTasks {
  @Task('0 0 1 1 *', { name: 'ok' })
  ok(_kwargs: Record<string, unknown>, _ctx: TaskContext) {}

  @Task('0 0 1 1 *', { name: 'boom' })
  boom() {
    throw new Error('kaboom');
  }
}

describe('events', () => {
  let app: TaskApp | undefined;
  afterEach(async () => {
    await app?.dispose();
    app = undefined;
  });

  it('emits run started / succeeded / failed and leadership gained / lost, with typed payloads', async () => {
    app = await startTaskApp({ groups: [ObservedTasks], label: 'events', options: { autoStart: false } });
    const seen: Array<{ name: TaskManagerEventName; event: TaskManagerEventMap[TaskManagerEventName] }> = [];
    const events = app.app.get(TaskManagerEvents);
    events.onAny((name, event) => seen.push({ name, event }));
    events.on('run.failed', () => {
      throw new Error('a broken listener never breaks the engine');
    });
    await app.service.start();
    await waitFor(() => seen.some((e) => e.name === 'leadership.gained'), { timeoutMs: 5000 });
    await app.service.trigger();
    await waitFor(() => seen.filter((e) => e.name === 'run.succeeded' || e.name === 'run.failed').length === 2, {
      timeoutMs: 5000,
    });
    const started = seen
      .filter((e) => e.name === 'run.started')
      .map((e) => e.event as TaskManagerEventMap['run.started']);
    expect(started.map((e) => e.taskName).sort()).toEqual(['boom', 'ok']);
    expect(started[0]).toMatchObject({
      groupName: 'Observed',
      attempt: 1,
      kind: 'trigger',
      workerId: app.service.workerId,
    });
    expect(started[0].latenessMs).toBeGreaterThanOrEqual(0);
    const failed = seen.find((e) => e.name === 'run.failed')!.event as TaskManagerEventMap['run.failed'];
    expect(failed).toMatchObject({ taskName: 'boom', error: 'kaboom', timedOut: false });
    const succeeded = seen.find((e) => e.name === 'run.succeeded')!.event as TaskManagerEventMap['run.succeeded'];
    expect(succeeded.taskName).toBe('ok');
    expect(succeeded.durationMs).toBeGreaterThanOrEqual(0);

    await app.close();
    const lost = seen.find((e) => e.name === 'leadership.lost')!.event as TaskManagerEventMap['leadership.lost'];
    expect(lost).toMatchObject({ voluntary: true });
  });
});
