import { Injectable } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';
import { RunLog, startTaskApp, type TaskApp } from './support/task-app.js';
import { waitFor } from './support/redis.js';

@TaskGroup({ name: 'Long' })
@Injectable()
class LongTasks {
  aborted = false;
  constructor(private readonly log: RunLog) {}

  @Task('0 0 1 1 *', { name: 'ten_seconds' })
  async tenSeconds(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000);
      ctx.signal.addEventListener('abort', () => {
        this.aborted = true;
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

describe('graceful shutdown', () => {
  let app: TaskApp | undefined;
  afterEach(async () => {
    await app?.dispose();
    app = undefined;
  });

  it('returns within shutdownTimeoutMs (+ margin) with a 10 s task running, and aborts its signal', async () => {
    app = await startTaskApp({
      groups: [LongTasks],
      label: 'shutdown',
      options: { shutdownTimeoutMs: 1000 },
    });
    const tasks = app.app.get(LongTasks);
    await app.service.trigger({ name: 'ten_seconds' });
    await waitFor(() => app!.log.entries.length === 1, { timeoutMs: 5000 });
    const started = Date.now();
    await app.close();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(1500);
    expect(tasks.aborted).toBe(true);
  });
});
