/**
 * The leader's sweep of undeclared tasks costs a few Redis commands per step, whatever the number of tasks it
 * looks at: membership of the step's tasks in every declared set in one SMISMEMBER each, the dynamic
 * definitions only for the tasks no set declares, the orphan notes only when there are some. Before, each task
 * cost an HEXISTS, a SISMEMBER and a ZREM, and an idle deployment of 10,000 tasks ran ~100 commands/s
 * (docs/benchmarks.md, idle row; target ≤ 2). Seen with MONITOR (a script's commands are shown as they run),
 * filtered by this test's keys.
 */
import { lead, worker } from '../libs/task-manager/test/contract/helpers.js';
import { waitFor } from './support/redis.js';
import { monitorCommands, redisTestPort } from './support/redis-port.js';

describe('sweep of undeclared tasks (Redis driver)', () => {
  const { port, keyPrefix, close } = redisTestPort('sweepcost');
  let stopMonitor = () => {};

  afterAll(async () => {
    stopMonitor();
    await close();
  });

  it('runs a constant number of commands per step over 500 declared tasks', async () => {
    await port.lifecycle.connect();
    const token = await lead(port);
    const taskIds = Array.from({ length: 500 }, (_, i) => `sweepcost/t${i}`);
    const firstSlot = Date.now() + 3_600_000;
    await port.schedule.register(taskIds.map((taskId) => ({ taskId, signature: 's', firstSlot, dynamic: false })));
    await port.workers.announce(worker('w1'));
    await port.taskSets.declare('w1', 'set-1', taskIds);

    const monitor = await monitorCommands(
      ({ args, fromScript }) => fromScript && args.some((arg) => arg.includes(keyPrefix)),
    );
    stopMonitor = monitor.stop;
    const commands = () => monitor.seen.map(({ args }) => args[0].toLowerCase());
    const step = await port.taskSets.sweep(token, 60_000, '0', 500);
    expect(step.removed).toEqual([]);
    // The step ends with its last command (ZRANGE of the next rank's entries is not needed: the pass ended).
    await waitFor(() => commands().includes('zrange'), { message: 'the step seen by MONITOR' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const counts = new Map<string, number>();
    for (const command of commands()) counts.set(command, (counts.get(command) ?? 0) + 1);
    expect(commands().length, [...counts].map(([command, n]) => `${command} ${n}`).join(', ')).toBeLessThanOrEqual(15);
  });
});
