import { Injectable } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { Task, TaskGroup, TaskManagerService, type TaskContext } from 'nestjs-task-manager';
import { RunLog, startTaskApp, type TaskApp } from './support/task-app.js';
import { waitFor } from './support/redis.js';

/** Fails its first `FAILURES` runs, then succeeds; records the backoff state it sees at each start. */
const FAILURES = 4;

@TaskGroup({ name: 'Flaky' })
@Injectable()
class FlakyTasks {
  readonly seenDelays: Array<number | null> = [];

  constructor(
    private readonly log: RunLog,
    private readonly manager: TaskManagerService,
  ) {}

  @Task('* * * * * *', { name: 'flaky', retryBackoffMax: 4 })
  async flaky(kwargs: Record<string, unknown>, ctx: TaskContext) {
    const [view] = await this.manager.getTasks({ name: 'flaky' });
    this.seenDelays.push(view.state.retryDelay);
    const end = this.log.start(kwargs, ctx);
    end();
    if (this.log.of('flaky').length <= FAILURES) throw new Error(`failure #${this.log.of('flaky').length}`);
  }
}

describe('retry backoff', () => {
  let app: TaskApp | undefined;
  afterEach(async () => {
    await app?.dispose();
    app = undefined;
  });

  it('gates a failing task for 1 s, 2 s, 4 s ... capped, and a success clears it', async () => {
    app = await startTaskApp({ groups: [FlakyTasks], label: 'backoff' });
    const flaky = app.app.get(FlakyTasks);
    await waitFor(() => app!.log.of('flaky').length >= FAILURES + 1, {
      timeoutMs: 25_000,
    });
    // State seen at each start: nothing, then the delay set by each previous failure, capped at 4 s.
    expect(flaky.seenDelays.slice(0, FAILURES + 1)).toEqual([null, 1, 2, 4, 4]);
    const starts = app.log.of('flaky').map((r) => r.slot);
    const gaps = starts.slice(1).map((s, i) => s - starts[i]);
    // A gate, not a re-run: the next run is the first slot after retry_after.
    expect(gaps[0]).toBeGreaterThanOrEqual(2000);
    expect(gaps[1]).toBeGreaterThanOrEqual(3000);
    expect(gaps[2]).toBeGreaterThanOrEqual(5000);
    expect(gaps[3]).toBeGreaterThanOrEqual(5000);
    // The success cleared the backoff.
    await waitFor(async () => (await app!.service.getTasks({ name: 'flaky' }))[0].state.lastStatus === 'success', {
      timeoutMs: 3000,
    });
    const [view] = await app.service.getTasks({ name: 'flaky' });
    expect(view.state.retryDelay).toBeNull();
    expect(view.state.retryAfter).toBeNull();
    expect(view.state.failures).toBe(0);
    const history = await app.service.getRunHistory('Flaky', 'flaky');
    expect(history.slice(0, FAILURES).map((h) => h.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
    expect(history[0].error).toContain('failure #1');
    expect(history[FAILURES].status).toBe('success');
  }, 40_000);
});
