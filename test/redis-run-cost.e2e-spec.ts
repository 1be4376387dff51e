/**
 * The Redis commands a run costs, where they are paid per batch rather than per run (issue 14: commands per
 * execution ≤ 8, Redis CPU per execution): the leader's publish reads and advances the schedule of a whole
 * batch with one ZMSCORE and one ZADD, and runs that finish together are recorded by one `complete-runs`
 * call that deletes their messages with one XDEL per stream. Seen with MONITOR on the shared test Redis,
 * filtered by this test's keys. That each item keeps its own outcome is the coordination contract's
 * "records completions sent together, each with its own result" and the publish cases.
 */
import { BACKOFF, itemFor, lead, outcome, readRuns } from '../libs/task-manager/test/contract/helpers.js';
import { COMPLETE_SLICE } from '../libs/task-manager/src/redis/redis-completions.js';
import { START_SLICE } from '../libs/task-manager/src/redis/redis-run-queue.js';
import { waitFor } from './support/redis.js';
import { monitorCommands, redisTestPort, type SeenCommand } from './support/redis-port.js';

describe('per-run Redis commands (Redis driver)', () => {
  const { port, keyPrefix, close } = redisTestPort('runcost');
  let stopMonitor = () => {};
  const count = 100;
  const taskIds = Array.from({ length: count }, (_, i) => `cost/t${i}`);
  const ours = (command: SeenCommand) => command.args.some((arg) => arg.includes(keyPrefix));
  const named = (seen: SeenCommand[], name: string) => seen.filter((command) => command.args[0].toLowerCase() === name);

  afterEach(() => stopMonitor());
  afterAll(close);

  it('publishes a batch with one ZMSCORE and one ZADD on the schedule, not one of each per task', async () => {
    await port.lifecycle.connect();
    const token = await lead(port);
    const slot = Date.now() - 1000;
    await port.schedule.register(
      taskIds.map((taskId) => ({ taskId, signature: 's', firstSlot: slot, dynamic: false })),
    );
    const due = await port.schedule.fetchDue(Date.now(), count);
    expect(due).toHaveLength(count);
    const monitor = await monitorCommands((command) => command.fromScript && ours(command));
    stopMonitor = monitor.stop;
    const result = await port.schedule.publish(
      token,
      Date.now(),
      due.map((d) => itemFor(d, { nextSlot: slot + 60_000 })),
    );
    expect(result.statuses.filter((s) => s === 'published')).toHaveLength(count);
    await waitFor(() => named(monitor.seen, 'xadd').length >= count, { message: 'every publish seen by MONITOR' });
    await waitFor(() => named(monitor.seen, 'zrange').length >= 2, { message: 'the end of the script seen' });
    expect(named(monitor.seen, 'zscore')).toHaveLength(0);
    expect(named(monitor.seen, 'zmscore')).toHaveLength(1);
    expect(named(monitor.seen, 'zadd')).toHaveLength(1);
    // Every task advanced to its next slot.
    expect((await port.schedule.fetchDue(slot + 59_000, count)).filter((d) => d.taskId.startsWith('cost/'))).toEqual(
      [],
    );
  });

  const scriptCalls = (seen: SeenCommand[]) =>
    seen.filter((command) => !command.fromScript && /^eval(sha)?$/i.test(command.args[0]));

  it(`starts runs in calls of at most ${START_SLICE}, records runs finished together in one call per ${COMPLETE_SLICE}, one XDEL per stream`, async () => {
    const runs = (await readRuns(port, 'c1', count)).filter((run) => run.taskId.startsWith('cost/'));
    expect(runs).toHaveLength(count);
    const starts = await monitorCommands((command) => ours(command));
    stopMonitor = starts.stop;
    const decisions = await port.runs.start(
      'c1',
      runs.map((run) => ({ run, allowParallel: true, dynamic: false })),
      30_000,
    );
    expect(decisions.every((d) => d === 'start')).toBe(true);
    // (No script call holds Redis for a whole burst: aligned bursts start up to `concurrentTasks` runs at once.)
    await waitFor(() => named(starts.seen, 'hset').length >= count, { message: 'every start seen by MONITOR' });
    expect(scriptCalls(starts.seen)).toHaveLength(Math.ceil(count / START_SLICE));
    await starts.stop();
    const monitor = await monitorCommands((command) => ours(command));
    stopMonitor = monitor.stop;
    const results = await Promise.all(runs.map((run) => port.runs.complete('c1', run, outcome('success'), BACKOFF)));
    expect(results.every((r) => r === 'recorded')).toBe(true);
    await waitFor(() => named(monitor.seen, 'hset').length >= count, { message: 'every completion seen by MONITOR' });
    await waitFor(() => named(monitor.seen, 'xdel').length >= 1, { message: 'the end of the script seen' });
    expect(scriptCalls(monitor.seen)).toHaveLength(Math.ceil(count / COMPLETE_SLICE));
    expect(named(monitor.seen, 'xack')).toHaveLength(count);
    expect(named(monitor.seen, 'xdel')).toHaveLength(Math.ceil(count / COMPLETE_SLICE));
  });
});
