/**
 * The Redis driver built with 3 partitions (the `partitions` option), on the shared test
 * Redis: each partition's lease, schedule and sweep on its own keys, and the port's routing parts (deployment
 * schedule view, task state, dynamic tasks, task-set declarations, worker registry). Run queue excepted (its
 * partitions come later). Every key of the deployment is removed afterwards (`allKeysPatterns`).
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type {
  CoordinationPort,
  RunMessage,
  ScheduleEntry,
  WorkerDescription,
} from '../libs/task-manager/src/engine/coordination.port.js';
import { heldKey } from '../libs/task-manager/src/engine/held-run.js';
import { BACKOFF, itemFor, outcome } from '../libs/task-manager/test/contract/helpers.js';
import { LeadershipLostError } from '../libs/task-manager/src/errors/leadership-lost.error.js';
import { resolveOptions } from '../libs/task-manager/src/options/resolve-options.js';
import { createRedisCoordination } from '../libs/task-manager/src/redis/redis-coordination.js';
import { TaskManagerKeys } from '../libs/task-manager/src/redis/task-manager-keys.js';
import { DEFAULT_WORKER_SERVICE_NAME } from '../libs/task-manager/src/task-manager.constants.js';
import { redisUrl, uniquePrefix } from './support/redis.js';
import { silentLogger } from './support/redis-port.js';

const P = 3;
const TTL = 30_000;

const client = new Redis(redisUrl());
const opened: CoordinationPort[] = [];
const deployments: TaskManagerKeys[] = [];

afterAll(async () => {
  for (const port of opened) await port.lifecycle.close();
  for (const keys of deployments) {
    for (const pattern of keys.allKeysPatterns) {
      let cursor = '0';
      do {
        const [next, found] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (found.length > 0) await client.unlink(...found);
      } while (cursor !== '0');
    }
  }
  client.disconnect();
});

/** A fresh deployment of P partitions and a function that connects a port of it as a worker. */
function deployment(label: string) {
  const keyPrefix = uniquePrefix(label);
  const keys = new TaskManagerKeys(keyPrefix, P);
  deployments.push(keys);
  const connect = async (workerId: string, connectionName?: string) => {
    const redis = connectionName === undefined ? redisUrl() : { url: redisUrl(), connectionName };
    const port = createRedisCoordination(resolveOptions({ redis, keyPrefix, partitions: P }), workerId, silentLogger);
    opened.push(port);
    await port.lifecycle.connect();
    return port;
  };
  /** `count` task ids of partition `index` (`<stem>-<n>`, the first that fall there). */
  const idsIn = (index: number, count: number, stem = 'task') => {
    const ids: string[] = [];
    for (let n = 0; ids.length < count; n++) if (keys.partitionOf(`${stem}-${n}`) === index) ids.push(`${stem}-${n}`);
    return ids;
  };
  return { keys, connect, idsIn };
}

function entry(taskId: string, firstSlot: number, dynamic = false): ScheduleEntry {
  return { taskId, signature: `sig ${taskId}`, firstSlot, dynamic };
}

/** Every key of the deployment (all tags). */
async function keysOf(keys: TaskManagerKeys): Promise<string[]> {
  const all: string[] = [];
  for (const pattern of keys.allKeysPatterns) all.push(...(await client.keys(pattern)));
  return all.sort();
}

/** Counts the messages published on the deployment's notice channel while `action` runs. */
async function noticesDuring(keys: TaskManagerKeys, action: () => Promise<unknown>): Promise<number> {
  const subscriber = new Redis(redisUrl());
  const messages: string[] = [];
  subscriber.on('message', (_channel: string, message: string) => messages.push(message));
  await subscriber.subscribe(keys.events);
  await action();
  // Messages arrive in the order they were published: 'end' comes after every notice of the action.
  await client.publish(keys.events, 'end');
  await vi.waitFor(() => expect(messages).toContain('end'));
  subscriber.disconnect();
  return messages.length - 1;
}

describe('Redis driver with 3 partitions', () => {
  it('builds one lease, schedule and sweep per partition on its own tag, and maps tasks by partitionOf', async () => {
    const { keys, connect } = deployment('parts');
    const port = await connect('w1');
    expect(port.partitions.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(new Set(port.partitions.map((p) => p.leadership)).size).toBe(P);
    expect(port.leadership).toBe(port.partitions[0].leadership);
    for (const id of ['a', 'b', 'task-17', 'é']) expect(port.partitionOf(id)).toBe(keys.partitionOf(id));
    // Consumer groups are ensured in every partition's streams.
    for (let i = 0; i < P; i++) {
      const groups = (await client.xinfo('GROUPS', keys.partition(i).streamNormal)) as unknown[];
      expect(groups).toHaveLength(1);
    }
  });

  it('leases of two partitions are independent and fenced separately', async () => {
    const { keys, connect } = deployment('lease');
    const a = await connect('a');
    const b = await connect('b');
    const leaseA = await a.partitions[0].leadership.acquire('a', TTL);
    const leaseB = await b.partitions[2].leadership.acquire('b', TTL);
    if (!('token' in leaseA) || !('token' in leaseB)) throw new Error('both leases must be free');
    expect(await client.get(keys.partition(0).leader)).toBe(leaseA.token);
    expect(await client.get(keys.partition(2).leader)).toBe(leaseB.token);
    expect(await client.get(keys.partition(1).leader)).toBeNull();
    // Held in partition 2 by b: a cannot take it; a's token renews nothing there.
    expect(await a.partitions[2].leadership.acquire('a', TTL)).toMatchObject({ retryInMs: expect.any(Number) });
    expect((await a.partitions[2].leadership.renew(leaseA.token, TTL)).renewed).toBe(false);
    expect(await client.get(keys.partition(2).leader)).toBe(leaseB.token);
    // Each partition's leader-side scripts are fenced by that partition's lease only.
    await expect(a.partitions[2].schedule.publish(leaseA.token, Date.now(), [])).rejects.toThrow(LeadershipLostError);
    await expect(a.partitions[2].taskSets.sweep(leaseA.token, 1000, '0', 10)).rejects.toThrow(LeadershipLostError);
    await expect(a.partitions[0].schedule.publish(leaseA.token, Date.now(), [])).resolves.toMatchObject({
      statuses: [],
    });
    await expect(b.partitions[0].schedule.publish(leaseB.token, Date.now(), [])).rejects.toThrow(LeadershipLostError);
    // A partition's renewal neither reads nor writes the worker registry (another slot).
    expect(a.partitions[0].leadership.renewalRecordsLeader).toBe(false);
    const renewal = await a.partitions[0].leadership.renew(leaseA.token, TTL, true);
    expect(renewal).toMatchObject({ renewed: true, oldestWorkerSeen: null });
    expect(await client.exists(keys.workers)).toBe(0);
    expect(await client.pttl(keys.partition(0).leader)).toBeGreaterThan(TTL - 5_000);
    // Releasing partition 0 leaves partition 2 held; partition 0 is taken again with its own next epoch.
    await a.partitions[0].leadership.release(leaseA.token);
    expect(await client.get(keys.partition(0).leader)).toBeNull();
    expect(await client.get(keys.partition(2).leader)).toBe(leaseB.token);
    expect(await b.partitions[0].leadership.acquire('b', TTL)).toMatchObject({ token: 'b|2', epoch: 2 });
    expect(await client.get(keys.partition(2).epoch)).toBe('1');
  });

  it('registers the schedule in each task partition, and the deployment view sums counts and pending runs', async () => {
    const { keys, connect, idsIn } = deployment('schedule');
    const port = await connect('w1');
    const byPartition = [idsIn(0, 2), idsIn(1, 1), idsIn(2, 3)];
    const ids = [
      byPartition[2][0],
      byPartition[0][0],
      byPartition[1][0],
      ...byPartition[2].slice(1),
      byPartition[0][1],
    ];
    const slot = (id: string) => 5_000_000_000_000 + ids.indexOf(id);
    expect(await port.schedule.register(ids.map((id) => entry(id, slot(id))))).toBe(ids.length);
    expect(await port.schedule.register(ids.map((id) => entry(id, slot(id))))).toBe(0);
    for (let i = 0; i < P; i++) {
      const part = keys.partition(i);
      expect(await client.zrange(part.schedule, 0, -1)).toEqual(byPartition[i]);
      for (const id of byPartition[i]) expect(await client.zscore(part.schedule, id)).toBe(String(slot(id)));
      expect(await client.hkeys(part.signatures)).toEqual(expect.arrayContaining(byPartition[i]));
      expect(await port.partitions[i].schedule.count()).toBe(byPartition[i].length);
    }
    expect(await client.exists(keys.schedule, keys.signatures)).toBe(0);
    expect(await port.schedule.count()).toBe(6);

    // Runs in two partitions' streams, one of them read by a consumer: the view sums them.
    await client.xadd(keys.partition(0).streamHigh, '*', 't', 'x');
    await client.xadd(keys.partition(2).streamNormal, '*', 't', 'y');
    await client.xadd(keys.partition(2).streamNormal, '*', 't', 'z');
    await client.xadd(keys.partition(1).streamNormal, '*', 't', 'w');
    await client.xreadgroup(
      'GROUP',
      DEFAULT_WORKER_SERVICE_NAME,
      'c1',
      'COUNT',
      1,
      'STREAMS',
      keys.partition(2).streamNormal,
      '>',
    );
    expect(await port.partitions[2].schedule.pendingRuns()).toEqual({
      high: { queued: 0, delivered: 0 },
      normal: { queued: 1, delivered: 1 },
    });
    expect(await port.schedule.pendingRuns()).toEqual({
      high: { queued: 1, delivered: 0 },
      normal: { queued: 2, delivered: 1 },
    });
  });

  it('reads and changes task state over several partitions in the caller order, on the right keys, with one notice', async () => {
    const { keys, connect, idsIn } = deployment('state');
    const port = await connect('w1');
    const [p0, p1, p2] = [idsIn(0, 2), idsIn(1, 2), idsIn(2, 2)];
    const ids = [p2[0], p0[0], p1[0], p0[1], p2[1], p1[1]];
    const slot = (id: string) => 6_000_000_000_000 + 1000 * ids.indexOf(id);
    await port.schedule.register(ids.map((id) => entry(id, slot(id))));
    const stateKey = (id: string) => keys.partition(keys.partitionOf(id)).taskState(id);

    const disabled = [p2[0], p0[1], p1[1]];
    expect(await noticesDuring(keys, () => port.state.setDisabled(disabled, true))).toBe(1);
    for (const id of ids) {
      expect(await client.hget(stateKey(id), 'disabled')).toBe(disabled.includes(id) ? '1' : null);
    }
    expect(await client.keys(`${keys.taskStatePrefix}*`)).toEqual([]);

    const order = [p1[1], p0[0], p2[1], p2[0], p1[0], p0[1]];
    const states = await port.state.readStates(order);
    expect(states.map((s) => s.nextRun)).toEqual(order.map(slot));
    expect(states.map((s) => s.disabled)).toEqual(order.map((id) => disabled.includes(id)));

    // A trigger queues one run per task in its partition's one-off queue, with one notice.
    const triggered = [p0[0], p2[0], p2[1]];
    expect(await noticesDuring(keys, () => port.state.trigger(triggered))).toBe(1);
    expect(await client.zcard(keys.partition(0).oneOff)).toBe(1);
    expect(await client.zcard(keys.partition(1).oneOff)).toBe(0);
    expect(await client.zcard(keys.partition(2).oneOff)).toBe(2);
    expect(await client.exists(keys.oneOff)).toBe(0);

    // Backoff reset and history clearing reach each task's own keys.
    for (const id of ids) {
      await client.hset(stateKey(id), 'failures', '2', 'retry_after', '1', 'retry_delay', '1');
      await client.xadd(keys.partition(keys.partitionOf(id)).history(id), '*', 'ts', '1', 'st', 'success', 'w', 'w1');
    }
    await port.state.resetRetry([p1[0], p2[1]]);
    for (const id of ids) {
      expect(await client.hget(stateKey(id), 'failures')).toBe([p1[0], p2[1]].includes(id) ? null : '2');
    }
    expect((await port.state.readHistory(p1[1], 10)).map((r) => r.status)).toEqual(['success']);
    await port.state.clearHistory([p0[1], p1[1], p2[0]]);
    for (const id of ids) {
      const history = keys.partition(keys.partitionOf(id)).history(id);
      expect(await client.exists(history)).toBe([p0[1], p1[1], p2[0]].includes(id) ? 0 : 1);
    }
    expect(await port.state.readHistory(p1[1], 10)).toEqual([]);
    expect(await port.state.readStates([])).toEqual([]);
  });

  it('a trigger that fails in one partition still says what the others applied, then reports the failure', async () => {
    const { keys, connect, idsIn } = deployment('partial');
    const port = await connect('w1');
    const [p0, p1] = [idsIn(0, 1)[0], idsIn(1, 1)[0]];
    // Partition 1's one-off queue is not a sorted set: its trigger script fails (WRONGTYPE).
    await client.set(keys.partition(1).oneOff, 'not a sorted set');
    let error: unknown;
    const notices = await noticesDuring(keys, () => port.state.trigger([p0, p1]).catch((e: unknown) => (error = e)));
    expect(String(error)).toMatch(/WRONGTYPE/);
    expect(notices).toBe(1);
    expect(await client.zcard(keys.partition(0).oneOff)).toBe(1);
  });

  it('routes dynamic tasks to their partition; the generation changes when any partition changes', async () => {
    const { keys, connect, idsIn } = deployment('dynamic');
    const port = await connect('w1');
    const [a] = idsIn(0, 1, 'dyn');
    const [b] = idsIn(2, 1, 'dyn');
    const future = Date.now() + 3_600_000;
    const empty = await port.dynamicTasks.generation();
    expect(empty.split(',')).toHaveLength(P);

    expect(await port.dynamicTasks.create(a, 'def-a', entry(a, future, true))).toBe('created');
    const afterA = await port.dynamicTasks.generation();
    expect(afterA).not.toBe(empty);
    expect(await port.dynamicTasks.create(b, 'def-b', entry(b, future, true))).toBe('created');
    const afterB = await port.dynamicTasks.generation();
    expect(afterB.split(',')[0]).toBe(afterA.split(',')[0]);
    expect(afterB.split(',')[2]).not.toBe(afterA.split(',')[2]);
    expect(await port.dynamicTasks.create(b, 'def-b', entry(b, future, true))).toBe('exists');

    expect(await client.hget(keys.partition(0).dynamic, a)).toBe('def-a');
    expect(await client.hget(keys.partition(2).dynamic, b)).toBe('def-b');
    expect(await client.exists(keys.dynamic, keys.partition(1).dynamic)).toBe(0);
    expect(await client.zscore(keys.partition(2).schedule, b)).toBe(String(future));
    expect(await port.dynamicTasks.read(a)).toBe('def-a');
    expect(await port.dynamicTasks.read(b)).toBe('def-b');
    const all = await port.dynamicTasks.loadAll();
    expect(all.generation).toBe(afterB);
    expect(all.tasks).toEqual(
      expect.arrayContaining([
        { taskId: a, definition: 'def-a' },
        { taskId: b, definition: 'def-b' },
      ]),
    );
    expect(all.tasks).toHaveLength(2);

    const version = createHash('sha1').update('def-b').digest('hex');
    expect(await port.dynamicTasks.update(b, version, 'def-b2', entry(b, future, true))).toBe('updated');
    expect(await port.dynamicTasks.update(b, version, 'def-b3', entry(b, future, true))).toBe('changed');
    expect(await client.hget(keys.partition(2).dynamic, b)).toBe('def-b2');
    const afterUpdate = await port.dynamicTasks.generation();
    expect(afterUpdate).not.toBe(afterB);

    expect(await port.dynamicTasks.remove(a)).toBe('def-a');
    expect(await port.dynamicTasks.read(a)).toBeNull();
    expect(await client.zscore(keys.partition(0).schedule, a)).toBeNull();
    const afterRemove = await port.dynamicTasks.generation();
    expect(afterRemove.split(',')[0]).not.toBe(afterUpdate.split(',')[0]);
    expect(afterRemove.split(',').slice(1)).toEqual(afterUpdate.split(',').slice(1));
    expect((await port.dynamicTasks.loadAll()).tasks).toEqual([{ taskId: b, definition: 'def-b2' }]);
  });

  it('lists a worker that leads partition 2 only as a leader; remove drops its task-set pointer in every partition', async () => {
    const { keys, connect } = deployment('workers');
    const a = await connect('a');
    const b = await connect('b');
    const info = (id: string) => ({ id, host: 'h', pid: 1, startedAt: 1, running: 0, isLeader: false });
    await a.workers.announce(info('a'));
    await b.workers.announce(info('b'));
    const leaderOf = async () => Object.fromEntries((await a.workers.list()).map((w) => [w.id, w.isLeader]));
    expect(await leaderOf()).toEqual({ a: false, b: false });
    const lease = await b.partitions[2].leadership.acquire('b', TTL);
    expect(await leaderOf()).toEqual({ a: false, b: true });
    if ('token' in lease) await b.partitions[2].leadership.release(lease.token);
    expect(await leaderOf()).toEqual({ a: false, b: false });

    await a.taskSets.declare('a', 'digest', ['x', 'y']);
    await b.taskSets.declare('b', 'digest', ['x', 'y']);
    await a.workers.remove('a');
    for (let i = 0; i < P; i++) expect(await client.hkeys(keys.partition(i).workerTaskSets)).toEqual(['b']);
    expect(await client.zrange(keys.workers, 0, -1)).toEqual(['b']);
    expect(await client.hkeys(keys.workerInfo)).toEqual(['b']);
  });

  it('declares each partition its subset (empty ones too) and sweeps each partition with the two-strike rule', async () => {
    const { keys, connect, idsIn } = deployment('sweep');
    const a = await connect('a');
    const stale = await connect('stale');
    const kept = [...idsIn(0, 2, 'static'), ...idsIn(2, 1, 'static')];
    const sha1 = (ids: string[]) => createHash('sha1').update(ids.join('\n')).digest('hex');
    await a.workers.announce({ id: 'a', host: 'h', pid: 1, startedAt: 1, running: 0, isLeader: false });
    await a.taskSets.declare('a', sha1([...kept].sort()), kept);
    for (let i = 0; i < P; i++) {
      const subset = kept.filter((id) => keys.partitionOf(id) === i).sort();
      const digest = sha1(subset);
      expect(await client.hget(keys.partition(i).workerTaskSets, 'a')).toBe(digest);
      expect((await client.smembers(keys.partition(i).taskSet(digest))).sort()).toEqual(subset);
    }
    expect(await client.hget(keys.partition(1).workerTaskSets, 'a')).toBe(sha1([]));

    // In partition 0: a's tasks, one nobody declares, and one only a worker missing from the registry declares.
    const [gone, staleOnly] = idsIn(0, 2, 'extra');
    await stale.taskSets.declare('stale', 'stale-digest', [staleOnly]);
    await a.schedule.register([...kept, gone, staleOnly].map((id) => entry(id, Date.now() + 3_600_000)));
    const lease = await a.partitions[0].leadership.acquire('a', TTL);
    if (!('token' in lease)) throw new Error('partition 0 must be free');
    const sweep = (token = lease.token, grace = 200) => a.partitions[0].taskSets.sweep(token, grace, '0', 100);
    const scheduled = async () => (await client.zrange(keys.partition(0).schedule, 0, -1)).sort();
    const pointers = () => client.hkeys(keys.partition(0).workerTaskSets);

    // First strike: stale's pointer is kept (its owner may have announced itself since the read).
    expect(await sweep()).toEqual({ cursor: '0', removed: [] });
    expect((await pointers()).sort()).toEqual(['a', 'stale']);
    expect(await client.zrange(keys.partition(0).orphans, 0, -1)).toEqual([gone]);
    // A new term starts over: still the first strike.
    await a.partitions[0].leadership.release(lease.token);
    const next = await a.partitions[0].leadership.acquire('a', TTL);
    if (!('token' in next)) throw new Error('partition 0 must be free');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await sweep(next.token)).toEqual({ cursor: '0', removed: [gone] });
    expect((await pointers()).sort()).toEqual(['a', 'stale']);
    // Second strike in the same term: the pointer is dropped, and its task is noted, then removed after grace.
    expect(await sweep(next.token)).toEqual({ cursor: '0', removed: [] });
    expect(await pointers()).toEqual(['a']);
    expect(await client.zrange(keys.partition(0).orphans, 0, -1)).toEqual([staleOnly]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await sweep(next.token)).toEqual({ cursor: '0', removed: [staleOnly] });
    expect(await scheduled()).toEqual(kept.filter((id) => keys.partitionOf(id) === 0).sort());
    // The other partitions are untouched by partition 0's sweep.
    expect(await client.zrange(keys.partition(2).schedule, 0, -1)).toEqual(
      kept.filter((id) => keys.partitionOf(id) === 2),
    );
    expect(await client.hmget(keys.partition(0).signatures, gone, staleOnly)).toEqual([null, null]);
    // A live worker that has declared nothing in the partition (yet): nothing is noted or removed.
    const [late] = idsIn(0, 1, 'late');
    await a.schedule.register([entry(late, Date.now() + 3_600_000)]);
    await a.workers.announce({ id: 'newcomer', host: 'h', pid: 2, startedAt: 1, running: 0, isLeader: false });
    expect(await sweep(next.token)).toEqual({ cursor: '0', removed: [] });
    expect(await client.zrange(keys.partition(0).orphans, 0, -1)).toEqual([]);
    // Only the worker registry and the layout marker's stream lie on the deployment's own tag.
    expect((await keysOf(keys)).filter((key) => key.startsWith(`${keys.tag}:`))).toEqual(
      [keys.layoutMarkerStream, keys.workerInfo, keys.workers].sort(),
    );
  });
});

describe('Redis run queue with 3 partitions', () => {
  const GROUP = DEFAULT_WORKER_SERVICE_NAME;
  const worker: WorkerDescription = { id: 'w1', host: 'h', pid: 1, startedAt: 1, running: 0, isLeader: false };

  /** Adds a run of `taskId` to its partition's stream (id `id`, default auto), as publish-runs writes it. */
  const add = (keys: TaskManagerKeys, taskId: string, high: boolean, id = '*') =>
    client.xadd(
      keys.partition(keys.partitionOf(taskId)).stream(high),
      id,
      't',
      taskId,
      's',
      '1',
      'a',
      '1',
      'k',
      'scheduled',
      'g',
      '',
    );

  /** The runs pending in the consumer group of each partition's `high` or normal stream. */
  const pendingIn = (keys: TaskManagerKeys, high: boolean) =>
    Promise.all(
      Array.from({ length: P }, async (_, i) =>
        Number((await client.xpending(keys.partition(i).stream(high), GROUP))[0]),
      ),
    );

  /** Leads partition `index` and publishes the run of each of `ids` (of that partition), due now. */
  async function publish(port: CoordinationPort, index: number, ids: string[], highPriority = false) {
    const lease = await port.partitions[index].leadership.acquire('leader', TTL);
    if (!('token' in lease)) throw new Error(`partition ${index} is led`);
    for (const id of ids) await port.schedule.register([entry(id, Date.now() - 1000)]);
    const due = await port.partitions[index].schedule.fetchDue(Date.now(), 100);
    const { statuses } = await port.partitions[index].schedule.publish(
      lease.token,
      Date.now(),
      due.map((d) => itemFor(d, { highPriority, allowParallel: false })),
    );
    expect(statuses).toEqual(ids.map(() => 'published'));
  }

  it('reads every partition high stream before any normal one, at most count, from a rotating start', async () => {
    const { keys, connect, idsIn } = deployment('rq-order');
    const port = await connect('w1');
    const [n0a, n0b] = idsIn(0, 2, 'n');
    const [h1] = idsIn(1, 1, 'h');
    const [h2] = idsIn(2, 1, 'h');
    const [n2] = idsIn(2, 1, 'n');
    for (const id of [n0a, n0b, n2]) await add(keys, id, false);
    for (const id of [h1, h2]) await add(keys, id, true);
    const first = await port.runs.read('w1', 2, 100);
    expect(first.map((r) => [r.taskId, r.highPriority]).sort()).toEqual([
      [h1, true],
      [h2, true],
    ]);
    expect(first.map((r) => r.partition).sort()).toEqual([1, 2]);
    const second = await port.runs.read('w1', 10, 100);
    expect(second.map((r) => r.taskId).sort()).toEqual([n0a, n0b, n2].sort());
    expect(second.every((r) => !r.highPriority)).toBe(true);
    expect(await port.runs.read('w1', 10, 100)).toEqual([]);
    expect(await pendingIn(keys, true)).toEqual([0, 1, 1]);
    expect(await pendingIn(keys, false)).toEqual([2, 0, 1]);

    // Two partitions' streams give two runs the same id: their held keys differ. (Read by a new instance: its
    // first read sweeps every stream; after an idle read, the first partition to answer a blocked read would.)
    const [c1] = idsIn(1, 1, 'c');
    const [c2] = idsIn(2, 1, 'c');
    await add(keys, c1, true, '9999999999999-7');
    await add(keys, c2, true, '9999999999999-7');
    const same = await (await connect('w2')).runs.read('w2', 10, 100);
    expect(same.map((r) => r.messageId)).toEqual(['9999999999999-7', '9999999999999-7']);
    expect(new Set(same.map(heldKey)).size).toBe(2);
  });

  it('blocks on every partition: the first answer returns at once; a later one is put back for any consumer', async () => {
    const { keys, connect, idsIn } = deployment('rq-block');
    const port = await connect('w1');
    const [t2] = idsIn(2, 1);
    const [t0] = idsIn(0, 1);
    // Idle: the next read blocks on every partition.
    expect(await port.runs.read('w1', 1, 100)).toEqual([]);
    const started = Date.now();
    const reading = port.runs.read('w1', 1, 3_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await add(keys, t2, false);
    expect((await reading).map((r) => r.taskId)).toEqual([t2]);
    expect(Date.now() - started).toBeLessThan(2_000);
    // Partitions 0 and 1 are still blocked: a run of partition 0 answers that read after its read returned;
    // it goes back to its stream (not pending for w1), and the next read takes it.
    await add(keys, t0, false);
    await vi.waitFor(async () => {
      const [count] = await client.xpending(keys.partition(0).streamNormal, GROUP);
      const length = await client.xlen(keys.partition(0).streamNormal);
      expect([Number(count), length]).toEqual([0, 1]);
    });
    expect((await port.runs.read('w1', 5, 1_000)).map((r) => r.taskId)).toEqual([t0]);
  });

  it('starts, renews, completes and hands back each run in its partition; the beat touches the registry once', async () => {
    const { keys, connect, idsIn } = deployment('rq-life');
    const port = await connect('w1');
    const ids1 = idsIn(1, 2);
    const [id2] = idsIn(2, 1);
    await publish(port, 1, ids1, true);
    await publish(port, 2, [id2]);
    const runs = await port.runs.read('w1', 10, 100);
    // High first: the two of partition 1, then the one of partition 2.
    expect(runs.map((r) => r.taskId)).toEqual([...runs.slice(0, 2).map((r) => r.taskId), id2]);
    expect(
      runs
        .slice(0, 2)
        .map((r) => r.taskId)
        .sort(),
    ).toEqual([...ids1].sort());
    const starts = await port.runs.start(
      'w1',
      runs.map((run) => ({ run, allowParallel: false, dynamic: false })),
      TTL,
    );
    expect(starts).toEqual(['start', 'start', 'start']);
    for (const run of runs) {
      const state = keys.partition(keys.partitionOf(run.taskId)).taskState(run.taskId);
      expect(await client.hget(state, 'running_by')).toBe(`${run.highPriority ? 'h' : 'n'}|${run.messageId}`);
    }
    // A run taken over elsewhere (the leader's recovery acknowledged its message) is lost, at its caller index.
    await client.xack(keys.partition(1).streamHigh, GROUP, runs[1].messageId);
    const beat = await port.runs.renew(
      { ...worker, running: 3 },
      runs.map((run) => ({ run, started: true })),
      TTL,
    );
    expect(beat).toMatchObject({ lost: [1], vanished: [] });
    expect(Math.abs(beat.serverTime - Date.now())).toBeLessThan(5_000);
    expect(JSON.parse((await client.hget(keys.workerInfo, 'w1'))!)).toMatchObject({ running: 3 });
    expect(Number(await client.zscore(keys.workers, 'w1'))).toBe(beat.serverTime);

    expect(await port.runs.complete('w1', runs[2], outcome('success'), BACKOFF)).toBe('recorded');
    expect(await port.runs.complete('w1', runs[1], outcome('success'), BACKOFF)).toBe('lost');
    expect((await port.state.readHistory(id2, 10)).map((r) => r.status)).toEqual(['success']);
    expect(await client.xlen(keys.partition(2).streamNormal)).toBe(0);
    // Hand-back of the two runs of partition 1: the one still held goes back to its stream, the lost one not.
    expect(await port.runs.handBack('w1', [runs[1], runs[0]], TTL)).toEqual([false, true]);
    expect(await pendingIn(keys, true)).toEqual([0, 0, 0]);
    const again = await port.runs.read('w1', 10, 100);
    expect(again.map((r) => r.taskId)).toEqual([runs[0].taskId]);
    // Requeue: back to its partition's one-off queue.
    await port.runs.requeue(again[0], 60_000);
    expect(await client.zcard(keys.partition(1).oneOff)).toBe(1);
    expect(await Promise.all([0, 2].map((i) => client.zcard(keys.partition(i).oneOff)))).toEqual([0, 0]);
  });

  it('re-reads the runs left pending for the consumer in each partition after its connections came back', async () => {
    const { keys, connect, idsIn } = deployment('rq-reread');
    const name = `rq-reread-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const port = await connect('w1', name);
    const [t1] = idsIn(1, 1);
    const [t2] = idsIn(2, 1);
    await add(keys, t1, true);
    await add(keys, t2, false);
    // Delivered, but as if the reply had been lost with the connection.
    const lostReply: RunMessage[] = await port.runs.read('w1', 10, 100);
    expect(lostReply).toHaveLength(2);
    const list = (await client.client('LIST')) as string;
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => /\bid=(\d+)/.exec(line)![1]);
    expect(ids.length).toBeGreaterThanOrEqual(P);
    for (const id of ids) await client.client('KILL', 'ID', id);
    // Once reconnected, the first read returns the consumer's pending runs, high first.
    await vi.waitFor(
      async () => {
        const reread = await port.runs.read('w1', 10, 100);
        expect(reread.map((r) => [r.taskId, r.messageId])).toEqual(lostReply.map((r) => [r.taskId, r.messageId]));
      },
      { timeout: 5_000, interval: 200 },
    );
  });
});
