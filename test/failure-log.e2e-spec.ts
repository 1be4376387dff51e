/**
 * The failure log: one warning per failed run naming the attempt and, when a retry is scheduled, when it is
 * due; the stack trace follows at debug level.
 */
import { Injectable, type LoggerService } from '@nestjs/common';
import { Task, TaskGroup, TaskManagerEvents } from 'nestjs-task-manager';
import { startApiApp, type ApiApp } from './api/api-app.js';
import { waitFor } from './support/redis.js';

@TaskGroup({ name: 'Logged' })
@Injectable()
class LoggedTasks {
  @Task('0 0 1 1 *', { name: 'flaky', maxAttempts: 3, retryBackoff: 600 })
  flaky() {
    throw new TypeError('flaky broke');
  }

  @Task('0 0 1 1 *', { name: 'once', retryBackoff: 600 })
  once() {
    throw new Error('once broke');
  }
}

/** Records every line by level. */
class RecordingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string }> = [];
  log = (message: string) => this.lines.push({ level: 'log', message });
  warn = (message: string) => this.lines.push({ level: 'warn', message });
  error = (message: string) => this.lines.push({ level: 'error', message });
  debug = (message: string) => this.lines.push({ level: 'debug', message });

  of(level: string, start: string): string[] {
    return this.lines.filter((l) => l.level === level && l.message.startsWith(start)).map((l) => l.message);
  }
}

describe('failure log', () => {
  let app: ApiApp | undefined;
  afterEach(async () => {
    await app?.dispose();
    app = undefined;
  });

  it('names the attempt, the retry time when one is scheduled, and logs the stack at debug level', async () => {
    const logger = new RecordingLogger();
    app = await startApiApp({ groups: [LoggedTasks], api: null, options: { logger }, label: 'failure-log' });
    await waitFor(() => app!.service.health().isLeader, { message: 'leadership' });
    const events = app.app.get(TaskManagerEvents);
    let failed = 0;
    events.on('run.failed', () => failed++);

    await app.service.trigger({ name: 'flaky' });
    const warning = await waitFor(() => logger.of('warn', 'Task Logged/flaky failed')[0]);
    const match = /^Task Logged\/flaky failed \(attempt 1 of 3\): TypeError: flaky broke; retry at (\S+)$/.exec(
      warning,
    );
    expect(match, warning).not.toBeNull();
    // The retry time is the one recorded (a cluster time: Redis TIME, not this process's clock).
    const [view] = await app.service.getTasks({ name: 'flaky' });
    expect(view.state.retryAfter).not.toBeNull();
    expect(match![1]).toBe(new Date(view.state.retryAfter!).toISOString());
    const [stack] = logger.of('debug', 'Task Logged/flaky failed (attempt 1 of 3): TypeError: flaky broke\n');
    expect(stack).toMatch(/\n\s+at /);

    await app.service.trigger({ name: 'once' });
    await waitFor(() => logger.of('warn', 'Task Logged/once failed').length > 0);
    expect(logger.of('warn', 'Task Logged/once failed')).toEqual([
      'Task Logged/once failed (attempt 1 of 1): once broke; no attempt left',
    ]);
    expect(logger.of('debug', 'Task Logged/once failed (attempt 1 of 1): Error: once broke\n')).toHaveLength(1);
    expect(failed).toBe(2);
  });
});
