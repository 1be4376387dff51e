/**
 * `TaskManagerEventEmitterModule` forwards every task manager event to @nestjs/event-emitter as
 * `task-manager.<name>`, delivered to `@OnEvent` listeners; without EventEmitterModule it only warns.
 */
import { Injectable } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { Task, TaskGroup, TaskManagerEvents, type TaskManagerEventMap } from 'nestjs-task-manager';
import { TaskManagerEventEmitterModule } from 'nestjs-task-manager/event-emitter';
import { waitFor } from '../support/redis.js';
import { startTaskApp, type TaskApp } from '../support/task-app.js';

@TaskGroup({ name: 'Emitting' })
@Injectable()
class EmittingTasks {
  @Task('0 0 1 1 *', { name: 'ok' })
  ok() {}
}

/** Records what reaches @OnEvent listeners. */
@Injectable()
class Listener {
  readonly succeeded: Array<TaskManagerEventMap['run.succeeded']> = [];
  readonly runEvents: Array<TaskManagerEventMap['run.started' | 'run.succeeded']> = [];

  @OnEvent('task-manager.run.succeeded')
  onSucceeded(event: TaskManagerEventMap['run.succeeded']) {
    this.succeeded.push(event);
  }

  @OnEvent('task-manager.run.*')
  onRunEvent(event: TaskManagerEventMap['run.started' | 'run.succeeded']) {
    this.runEvents.push(event);
  }
}

describe('TaskManagerEventEmitterModule', () => {
  let app: TaskApp | undefined;
  afterEach(async () => {
    await app?.dispose();
    app = undefined;
  });

  it('delivers task-manager.run.succeeded (and wildcard matches) to @OnEvent listeners', async () => {
    app = await startTaskApp({
      groups: [EmittingTasks],
      imports: [EventEmitterModule.forRoot({ wildcard: true }), TaskManagerEventEmitterModule],
      providers: [Listener],
      label: 'event-emitter',
    });
    await waitFor(() => app!.service.health().isLeader, { message: 'leadership' });
    await app.service.trigger({ name: 'ok' });
    const listener = app.app.get(Listener);
    await waitFor(() => listener.succeeded.length === 1, { message: 'task-manager.run.succeeded' });
    expect(listener.succeeded[0]).toMatchObject({
      groupName: 'Emitting',
      taskName: 'ok',
      kind: 'trigger',
      attempt: 1,
      workerId: app.service.workerId,
    });
    expect(listener.succeeded[0].durationMs).toBeGreaterThanOrEqual(0);
    // Wildcards work too: run.started and run.succeeded under `task-manager.run.*`.
    expect(listener.runEvents).toHaveLength(2);
    expect(listener.runEvents.map((e) => ('latenessMs' in e ? 'started' : 'succeeded'))).toEqual([
      'started',
      'succeeded',
    ]);
  });

  it('boots without EventEmitterModule (nothing to forward to) and keeps the plain listener API', async () => {
    app = await startTaskApp({
      groups: [EmittingTasks],
      imports: [TaskManagerEventEmitterModule],
      label: 'no-emitter',
    });
    const seen: string[] = [];
    app.app.get(TaskManagerEvents).on('run.succeeded', (e) => seen.push(e.taskName));
    await waitFor(() => app!.service.health().isLeader, { message: 'leadership' });
    await app.service.trigger({ name: 'ok' });
    await waitFor(() => seen.length === 1, { message: 'run.succeeded' });
  });
});
