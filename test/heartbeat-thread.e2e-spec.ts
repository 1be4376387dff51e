/**
 * The heartbeat thread (the built library: its worker script exists only in dist/) learns what changed in
 * the runs held, not a copy of all of them at every change: at 5,000 runs/s with 200 held, copying the whole
 * list to the thread at each start and end took a third of the engine's CPU (bench profile, `postMessage`).
 * And what it renews is still exactly what is held, a run started after its delivery included; with several
 * partitions, in each run's partition.
 */
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { heldKey } from '../libs/task-manager/src/engine/held-run.js';
import { TaskManagerKeys } from '../libs/task-manager/src/redis/task-manager-keys.js';
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

describe('heartbeat thread with 3 partitions', () => {
  const keyPrefix = uniquePrefix('hbthread3');
  const keys = new TaskManagerKeys(keyPrefix, 3);
  const port = createRedisCoordination(
    resolveOptions({ redis: redisUrl(), keyPrefix, partitions: 3 }),
    'w1',
    silentLogger,
  );
  const thread = port.heartbeatThread!({ intervalMs: 100, leaseTtlMs: 3000 })!;
  const client = new Redis(redisUrl());
  afterAll(async () => {
    await thread?.stop();
    await port.lifecycle.close();
    for (const pattern of keys.allKeysPatterns) {
      const found = await client.keys(pattern);
      if (found.length > 0) await client.unlink(...found);
    }
    client.disconnect();
  });

  it('renews each run held in its partition and refreshes the registry', async () => {
    await port.lifecycle.connect();
    const idIn = (index: number) => {
      for (let n = 0; ; n++) if (keys.partitionOf(`hb/p-${n}`) === index) return `hb/p-${n}`;
    };
    for (const index of [1, 2]) {
      const stream = keys.partition(index).streamNormal;
      await client.xadd(stream, '*', 't', idIn(index), 's', '1', 'a', '1', 'k', 'scheduled', 'g', '');
    }
    const runs = await port.runs.read('w1', 10, 100);
    expect(runs.map((run) => run.partition).sort()).toEqual([1, 2]);
    const reports: HeartbeatReport[] = [];
    thread.start((report) => reports.push(report));
    thread.update({ description: worker('w1'), runs: runs.map((run) => ({ key: heldKey(run), started: false, run })) });
    await waitFor(() => reports.length >= 2, { message: 'two beats' });
    const last = reports[reports.length - 1];
    expect(last).toMatchObject({ lost: [], vanished: [] });
    expect(last.renewed.sort()).toEqual(runs.map(heldKey).sort());
    expect(await client.zscore(keys.workers, 'w1')).not.toBeNull();
  });
});
