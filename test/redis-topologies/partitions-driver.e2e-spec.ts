/**
 * The Redis driver built with 3 partitions (the `partitions` option) on the local 3-master
 * Redis Cluster: the partitions' tags are steered to one master each, and every call of the non-run-queue
 * side (leases, the deployment's schedule view, task state, dynamic tasks, declarations, the sweep, the
 * worker registry) runs across the masters without CROSSSLOT, and so does the run queue (reads on one blocking
 * connection per partition, starts, renewals, completions, hand-backs). test/redis-partitions.e2e-spec.ts checks
 * what each call does, on a standalone Redis.
 */
import { Cluster } from 'ioredis';
import type { CoordinationPort, ScheduleEntry } from '../../libs/task-manager/src/engine/coordination.port.js';
import { resolveOptions } from '../../libs/task-manager/src/options/resolve-options.js';
import { keySlot } from '../../libs/task-manager/src/redis/redis-client.js';
import { createRedisCoordination } from '../../libs/task-manager/src/redis/redis-coordination.js';
import { TaskManagerKeys } from '../../libs/task-manager/src/redis/task-manager-keys.js';
import {
  masterPortServing,
  startRedisCluster,
  topologyToolsMissing,
  type RedisClusterHandle,
} from '../support/redis-topologies.js';
import { BACKOFF, itemFor, outcome } from '../../libs/task-manager/test/contract/helpers.js';
import { uniquePrefix } from '../support/redis.js';
import { silentLogger } from '../support/redis-port.js';

const P = 3;
const missing = topologyToolsMissing();
if (missing) console.warn(`[redis-topologies] Redis Cluster partition tests skipped: ${missing}`);

describe.skipIf(missing !== undefined)('Redis driver with 3 partitions on a 3-master Redis Cluster', () => {
  let redisCluster: RedisClusterHandle | undefined;
  let client: Cluster | undefined;
  const ports: CoordinationPort[] = [];

  beforeAll(async () => {
    redisCluster = await startRedisCluster({ masters: 3 });
    client = new Cluster(redisCluster.nodes, { lazyConnect: true });
    await client.connect();
  }, 45_000);

  afterAll(async () => {
    for (const port of ports) await port.lifecycle.close();
    client?.disconnect();
    await redisCluster?.stop();
  }, 30_000);

  /** Port of the master serving hash slot `slot`. */
  const portServing = (slot: number): Promise<number> => masterPortServing(client!, slot);

  it('runs every non-run-queue call across the masters without CROSSSLOT', async () => {
    const keyPrefix = uniquePrefix('pcluster');
    const keys = new TaskManagerKeys(keyPrefix, P);
    const options = resolveOptions({ redis: { cluster: { nodes: redisCluster!.nodes } }, keyPrefix, partitions: P });
    const connect = async (workerId: string) => {
      const port = createRedisCoordination(options, workerId, silentLogger);
      ports.push(port);
      await port.lifecycle.connect();
      return port;
    };
    const a = await connect('a');
    const b = await connect('b');
    const masters = await Promise.all(
      Array.from({ length: P }, (_, i) => portServing(keySlot(keys.partition(i).schedule))),
    );
    expect(new Set(masters).size).toBe(P);

    const idsIn = (index: number, count: number) => {
      const ids: string[] = [];
      for (let n = 0; ids.length < count; n++) if (keys.partitionOf(`task-${n}`) === index) ids.push(`task-${n}`);
      return ids;
    };
    const ids = [...idsIn(2, 2), ...idsIn(0, 2), ...idsIn(1, 2)];
    const future = Date.now() + 3_600_000;
    const entry = (taskId: string, dynamic = false): ScheduleEntry => ({
      taskId,
      signature: `sig ${taskId}`,
      firstSlot: future + ids.indexOf(taskId),
      dynamic,
    });
    const info = (id: string) => ({ id, host: 'h', pid: 1, startedAt: 1, running: 0, isLeader: false });

    await a.workers.announce(info('a'));
    await b.workers.announce(info('b'));
    await a.taskSets.declare('a', 'digest', [...ids].sort());
    await b.taskSets.declare('b', 'digest', [...ids].sort());
    expect(await a.schedule.register(ids.map((id) => entry(id)))).toBe(ids.length);
    expect(await a.schedule.count()).toBe(ids.length);
    expect(await a.schedule.pendingRuns()).toEqual({
      high: { queued: 0, delivered: 0 },
      normal: { queued: 0, delivered: 0 },
    });

    await a.state.setDisabled([ids[0], ids[2], ids[4]], true);
    await a.state.trigger([ids[1], ids[3], ids[5]]);
    await a.state.resetRetry(ids);
    await a.state.clearHistory(ids);
    const states = await a.state.readStates(ids);
    expect(states.map((s) => s.nextRun)).toEqual(ids.map((id) => future + ids.indexOf(id)));
    expect(states.map((s) => s.disabled)).toEqual([true, false, true, false, true, false]);
    for (let i = 0; i < P; i++) expect(await client!.zcard(keys.partition(i).oneOff)).toBe(1);

    const [dynamicId] = idsIn(1, 3).slice(2);
    expect(await a.dynamicTasks.create(dynamicId, 'def', entry(dynamicId, true))).toBe('created');
    expect(await b.dynamicTasks.read(dynamicId)).toBe('def');
    expect((await b.dynamicTasks.loadAll()).tasks).toEqual([{ taskId: dynamicId, definition: 'def' }]);
    expect((await b.dynamicTasks.generation()).split(',')).toHaveLength(P);

    // Each partition led by one of the two, fenced and swept on its own master.
    for (let i = 0; i < P; i++) {
      const worker = i === 2 ? 'b' : 'a';
      const port = worker === 'b' ? b : a;
      const lease = await port.partitions[i].leadership.acquire(worker, 30_000);
      if (!('token' in lease)) throw new Error(`partition ${i} must be free`);
      expect((await port.partitions[i].leadership.renew(lease.token, 30_000)).renewed).toBe(true);
      expect(await port.partitions[i].taskSets.sweep(lease.token, 60_000, '0', 100)).toEqual({
        cursor: '0',
        removed: [],
      });
      expect(await port.partitions[i].schedule.publish(lease.token, Date.now(), [])).toMatchObject({ statuses: [] });
    }
    expect(Object.fromEntries((await a.workers.list()).map((w) => [w.id, w.isLeader]))).toEqual({ a: true, b: true });
    expect(await a.dynamicTasks.remove(dynamicId)).toBe('def');
    await b.workers.remove('b');
    for (let i = 0; i < P; i++) expect(await client!.hkeys(keys.partition(i).workerTaskSets)).toEqual(['a']);
  });

  it('reads, starts, renews, completes and hands back runs of every partition across the masters', async () => {
    const keyPrefix = uniquePrefix('pcrq');
    const keys = new TaskManagerKeys(keyPrefix, P);
    const options = resolveOptions({ redis: { cluster: { nodes: redisCluster!.nodes } }, keyPrefix, partitions: P });
    const port = createRedisCoordination(options, 'w', silentLogger);
    ports.push(port);
    await port.lifecycle.connect();
    const idIn = (index: number, stem: string) => {
      for (let n = 0; ; n++) if (keys.partitionOf(`${stem}-${n}`) === index) return `${stem}-${n}`;
    };
    const tokens = await Promise.all(
      Array.from({ length: P }, async (_, i) => {
        const lease = await port.partitions[i].leadership.acquire('w', 30_000);
        if (!('token' in lease)) throw new Error(`partition ${i} must be free`);
        return lease.token;
      }),
    );
    /** Triggers `ids` and publishes their runs through their partitions' leaders. */
    const publish = async (ids: string[], highPriority = false) => {
      await port.state.trigger(ids);
      for (let i = 0; i < P; i++) {
        const due = await port.partitions[i].schedule.fetchDue(Date.now() + 1000, 100);
        if (due.length === 0) continue;
        const items = due.map((d) => itemFor(d, { highPriority, allowParallel: false }));
        await port.partitions[i].schedule.publish(tokens[i], Date.now() + 1000, items);
      }
    };
    const ids = Array.from({ length: P }, (_, i) => idIn(i, 'run'));
    await publish(ids);
    const runs = await port.runs.read('w', 10, 500);
    expect(runs.map((r) => r.taskId).sort()).toEqual([...ids].sort());
    const held = runs.map((run) => ({ run, allowParallel: false, dynamic: false }));
    expect(await port.runs.start('w', held, 30_000)).toEqual(runs.map(() => 'start'));
    const worker = { id: 'w', host: 'h', pid: 1, startedAt: 1, running: P, isLeader: true };
    expect(
      await port.runs.renew(
        worker,
        runs.map((run) => ({ run, started: true })),
        30_000,
      ),
    ).toMatchObject({ lost: [], vanished: [] });
    const results = await Promise.all(
      runs.slice(1).map((run) => port.runs.complete('w', run, outcome('success'), BACKOFF)),
    );
    expect(results).toEqual(['recorded', 'recorded']);
    expect(await port.runs.handBack('w', runs.slice(0, 1), 30_000)).toEqual([true]);
    expect((await port.runs.read('w', 10, 500)).map((r) => r.taskId)).toEqual([runs[0].taskId]);

    // Idle: the next read blocks on every partition's master; a run published on one answers it at once.
    expect(await port.runs.read('w', 10, 200)).toEqual([]);
    const late = idIn(2, 'late');
    const reading = port.runs.read('w', 10, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await publish([late], true);
    expect((await reading).map((r) => [r.taskId, r.highPriority])).toEqual([[late, true]]);
    expect(Date.now() - started).toBeLessThan(2_000);
  }, 30_000);
});
