/**
 * A leader's publish of a large batch never holds Redis for long: the Redis driver sends it as several
 * `publish-runs` script calls of at most `PUBLISH_SLICE` items, pipelined (one round trip), instead of one
 * call of up to a thousand (≈ 26 ms of Redis blocked for every other client at 5,000 runs/s, docs/benchmarks.md).
 * Seen with MONITOR on the shared test Redis, filtered by this test's keys. That the batch's outcome is the
 * same as one call's (a status per item in order, the earliest due after all) is the coordination contract's
 * "publishes a batch of hundreds in one call".
 */
import { PUBLISH_SLICE } from '../libs/task-manager/src/redis/redis-schedule.js';
import { itemFor, lead } from '../libs/task-manager/test/contract/helpers.js';
import { waitFor } from './support/redis.js';
import { monitorCommands, redisTestPort } from './support/redis-port.js';

describe('publish of a large batch (Redis driver)', () => {
  const { port, close } = redisTestPort('slices');
  let stopMonitor = () => {};

  afterAll(async () => {
    stopMonitor();
    await close();
  });

  it(`sends it as pipelined script calls of at most ${PUBLISH_SLICE} items`, async () => {
    await port.lifecycle.connect();
    const token = await lead(port);
    const slot = Date.now() - 1000;
    const count = 1000;
    const taskIds = Array.from({ length: count }, (_, i) => `slices/t${i}`);
    await port.schedule.register(
      taskIds.map((taskId) => ({ taskId, signature: 's', firstSlot: slot, dynamic: false })),
    );
    const due = await port.schedule.fetchDue(Date.now(), count);
    expect(due).toHaveLength(count);

    // The task ids each publish-runs call carries (a call is recognised by this test's task ids in it).
    const carried = ({ args }: { args: string[] }) => args.filter((arg) => arg.startsWith('slices/t')).length;
    const monitor = await monitorCommands(
      (command) => !command.fromScript && /^(evalsha|eval)$/i.test(command.args[0]) && carried(command) > 0,
    );
    stopMonitor = monitor.stop;
    const calls = () => monitor.seen.map(carried);
    // (MONITOR starts with its reply: commands after it are seen.)
    const result = await port.schedule.publish(
      token,
      Date.now(),
      due.map((d) => itemFor(d)),
    );
    expect(result.statuses.filter((s) => s === 'published')).toHaveLength(count);
    await waitFor(() => calls().reduce((sum, n) => sum + n, 0) >= count, { message: 'every call seen by MONITOR' });
    expect(Math.max(...calls())).toBeLessThanOrEqual(PUBLISH_SLICE);
    expect(calls()).toHaveLength(Math.ceil(count / PUBLISH_SLICE));
  });
});
