/**
 * The heartbeat thread (the built library: its worker script exists only in dist/) learns what changed in
 * the runs held, not a copy of all of them at every change: at 5,000 runs/s with 200 held, copying the whole
 * list to the thread at each start and end took a third of the engine's CPU (bench profile, `postMessage`).
 * And what it renews is still exactly what is held, a run started after its delivery included.
 */
import { Worker } from 'node:worker_threads';
import type { HeartbeatLoad, HeartbeatReport } from '../libs/task-manager/src/engine/heartbeat.js';
import { resolveOptions } from '../libs/task-manager/src/options/resolve-options.js';
import { worker } from '../libs/task-manager/test/contract/helpers.js';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from './support/redis.js';
import { silentLogger } from './support/redis-port.js';

// The built library: the thread's script is compiled next to dist/redis/heartbeat-thread.js.
const { createRedisCoordination } = (await import(
  '../libs/task-manager/dist/redis/redis-coordination.js' as string
)) as typeof import('../libs/task-manager/src/redis/redis-coordination.js');

type HeldEntry = HeartbeatLoad['runs'][number];

const held = (n: number, started = true): HeldEntry => ({
  key: `h:1-${n}`,
  started,
  run: {
    messageId: `1-${n}`,
    highPriority: true,
    taskId: `hb/t${n}`,
    slot: 1000 * n,
    attempt: 1,
    kind: 'scheduled',
    generation: '',
    deliveries: 1,
  },
});

describe('heartbeat thread', () => {
  const keyPrefix = uniquePrefix('hbthread');
  const port = createRedisCoordination(resolveOptions({ redis: redisUrl(), keyPrefix }), 'w1', silentLogger);
  const reports: HeartbeatReport[] = [];
  const thread = port.heartbeatThread!({ intervalMs: 100, leaseTtlMs: 3000 })!;
  afterAll(async () => {
    await thread?.stop();
    await port.lifecycle.close();
    await cleanupPrefix(keyPrefix);
  });

  it('posts each change, not every run held at every change', async () => {
    expect(thread).toBeDefined();
    const spy = vi.spyOn(Worker.prototype, 'postMessage');
    await port.lifecycle.connect();
    thread.start((report) => reports.push(report));
    const description = worker('w1');
    const runs: HeldEntry[] = [];
    // Delivered one by one, then started one by one, then released.
    for (let n = 1; n <= 200; n++) {
      runs.push(held(n, false));
      thread.update({ description, runs: [...runs] });
    }
    for (let n = 1; n <= 200; n++) {
      runs[n - 1] = held(n, true);
      thread.update({ description, runs: [...runs] });
    }
    while (runs.length > 0) {
      runs.shift();
      thread.update({ description, runs: [...runs] });
    }
    const runsPosted = spy.mock.calls
      .map(([message]) => message as { type: string; put?: unknown[]; load?: HeartbeatLoad })
      .reduce((sum, message) => sum + (message.put?.length ?? message.load?.runs.length ?? 0), 0);
    spy.mockRestore();
    // Each run when delivered and when started (a copy of the whole list at each change: 60,100).
    expect(runsPosted).toBe(400);
  });

  it('renews exactly the runs held: a run released is dropped, a run started is sent again', async () => {
    const description = worker('w1');
    thread.update({ description, runs: [held(1), held(2), held(3, false)] });
    thread.update({ description, runs: [held(2), held(3, true), held(4)] });
    const from = reports.length;
    await waitFor(() => reports.length >= from + 2, { message: 'two beats after the change' });
    const last = reports[reports.length - 1];
    expect([...last.renewed, ...last.lost].sort()).toEqual(['h:1-2', 'h:1-3', 'h:1-4']);
  });
});
