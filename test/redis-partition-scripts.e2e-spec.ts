/**
 * The two scripts of one partition (a deployment of several partitions; no driver calls them yet), run
 * directly on the shared test Redis on the keys of partition 1 of 3: `renew-partition-runs-4` renews a
 * worker's held runs as `renew-runs-6` does, without the worker registry; `sweep-partition-7` sweeps as
 * `sweep-orphans-8` does, with the live workers passed in (a pointer of an owner missing from them still
 * counts as declared, unless its owner is to be forgotten). Each is also compared with its one-partition
 * script on the same data under a one-partition prefix: same reply, same data.
 */
import { Redis } from 'ioredis';
import { keySlot } from '../libs/task-manager/src/redis/redis-client.js';
import { RedisScripts } from '../libs/task-manager/src/redis/redis-scripts.js';
import { type PartitionKeys, TaskManagerKeys } from '../libs/task-manager/src/redis/task-manager-keys.js';
import {
  RENEW_PARTITION_RUNS_ARGS,
  RENEW_RUNS_ARGS,
  SWEEP_PARTITION_ARGS,
} from '../libs/task-manager/src/wire/script-args.js';
import { redisUrl, uniquePrefix } from './support/redis.js';

const GROUP = 'grp';
const TTL = 30_000;
const GRACE = 300;
const TOKEN = 'leader-1|1';

const client = new Redis(redisUrl());
const scripts = new RedisScripts(client);
const deployments: TaskManagerKeys[] = [];

/** Partition 1 of a fresh deployment of 3, and a fresh deployment of one partition (today's layout). */
function freshKeys(label: string) {
  const partitioned = new TaskManagerKeys(uniquePrefix(label), 3);
  const single = new TaskManagerKeys(uniquePrefix(label));
  deployments.push(partitioned, single);
  const partition = partitioned.partition(1);
  expect(partition.tag).not.toBe(partitioned.tag);
  return { partitioned, partition, single };
}

afterAll(async () => {
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

/** Every key (and key prefix) a script gets lies in the slot of the first. */
function expectOneSlot(keys: string[]) {
  expect(new Set(keys.map(keySlot)).size, keys.join(' ')).toBe(1);
}

type Renewal = [number, number[], number[]];

describe('renew-partition-runs-4', () => {
  /**
   * Worker w1 holds, in `keys`: 1 a started run, 2 a run not started yet, 3 a run taken over since (lost),
   * 4 a started run whose message is gone with the data it was published in (wiped: vanished), 5 a run whose
   * message is gone in the same data (taken over and done: lost), 6 a started run of a deleted dynamic task.
   */
  async function heldRuns(keys: PartitionKeys) {
    for (const stream of [keys.streamHigh, keys.streamNormal]) {
      await client.xgroup('CREATE', stream, GROUP, '$', 'MKSTREAM');
    }
    await client.set(keys.generation, 'g1');
    const held = (await client.xadd(keys.streamNormal, '*', 'run', '1'))!;
    const unstarted = (await client.xadd(keys.streamHigh, '*', 'run', '2'))!;
    const taken = (await client.xadd(keys.streamNormal, '*', 'run', '3'))!;
    const dynamic = (await client.xadd(keys.streamNormal, '*', 'run', '6'))!;
    await client.xreadgroup('GROUP', GROUP, 'w1', 'COUNT', 10, 'STREAMS', keys.streamNormal, keys.streamHigh, '>', '>');
    // A takeover: the message claimed by another (the leader's reclaim), re-published and acknowledged.
    await client.xclaim(keys.streamNormal, GROUP, 'w2', 0, taken, 'JUSTID');
    await client.xack(keys.streamNormal, GROUP, taken);
    const gone = `${Date.now()}-`;
    const run = (priority: string, messageId: string, taskId: string, generation = 'g1', isDynamic = '0') => ({
      priority,
      messageId,
      taskId,
      generation,
      dynamic: isDynamic,
      leaseUntil: '',
    });
    return [
      run('n', held, 'p/held'),
      run('h', unstarted, ''),
      run('n', taken, 'p/taken'),
      run('h', `${gone}7`, 'p/wiped', 'g0'),
      run('h', `${gone}8`, 'p/done'),
      run('n', dynamic, 'p/dynamic', 'g1', '1'),
    ];
  }

  /** Each task's running marker, its end given relative to the server time `now`. */
  async function markers(keys: PartitionKeys, now: number) {
    const result: Record<string, Record<string, string | number>> = {};
    for (const taskId of ['p/held', 'p/taken', 'p/wiped', 'p/done', 'p/dynamic']) {
      const state = await client.hgetall(keys.taskState(taskId));
      if (Object.keys(state).length === 0) continue;
      result[taskId] = { ...state, running_until: Number(state.running_until) - now };
    }
    return result;
  }

  /** The worker holding each message of a stream, by message id, and the longest idle time of them. */
  async function pending(stream: string) {
    const entries = (await client.xpending(stream, GROUP, '-', '+', 100)) as Array<[string, string, number, number]>;
    return {
      owners: Object.fromEntries(entries.map(([id, consumer]) => [id, consumer])),
      idle: Math.max(0, ...entries.map(([, , idle]) => idle)),
    };
  }

  function renewPartition(keys: PartitionKeys, runs: Awaited<ReturnType<typeof heldRuns>>) {
    const keyList = [keys.streamHigh, keys.streamNormal, keys.generation, keys.dynamic];
    expectOneSlot([...keyList, keys.taskStatePrefix]);
    const head = { group: GROUP, workerId: 'w1', leaseTtlMs: TTL, taskStatePrefix: keys.taskStatePrefix };
    return scripts.run<Renewal>('renewPartitionRuns', keyList, RENEW_PARTITION_RUNS_ARGS.encode(head, runs));
  }

  it('renews the held runs of one partition, reports the lost and the vanished, writes no registry', async () => {
    const { partitioned, partition } = freshKeys('prenew');
    const runs = await heldRuns(partition);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await pending(partition.streamNormal)).idle).toBeGreaterThanOrEqual(150);

    const [now, lost, vanished] = await renewPartition(partition, runs);
    expect(Math.abs(now - Date.now())).toBeLessThan(5_000);
    expect({ lost, vanished }).toEqual({ lost: [3, 5], vanished: [4] });
    // The held messages were touched (their idle time, the run's lease, starts again); the lost one not taken back.
    const normal = await pending(partition.streamNormal);
    expect(normal.owners).toEqual({ [runs[0].messageId]: 'w1', [runs[5].messageId]: 'w1' });
    expect(normal.idle).toBeLessThan(150);
    expect((await pending(partition.streamHigh)).owners).toEqual({ [runs[1].messageId]: 'w1' });
    // A running marker for the held and the vanished started runs, none for the lost ones nor the deleted task.
    expect(await markers(partition, now)).toEqual({
      'p/held': { running_by: `n|${runs[0].messageId}`, running_until: TTL },
      'p/wiped': { running_by: `h|${runs[3].messageId}`, running_until: TTL },
    });
    // The worker registry is the deployment's (touch-worker-2 refreshes it): not written here.
    expect(await client.exists(partitioned.workers, partitioned.workerInfo)).toBe(0);
  });

  it('answers and writes as renew-runs-6 on the same runs (one partition), but for the registry', async () => {
    const { partition, single } = freshKeys('prenew2');
    const partitionRuns = await heldRuns(partition);
    const singleRuns = await heldRuns(single);
    const renewSingle = () => {
      const head = {
        group: GROUP,
        workerId: 'w1',
        leaseTtlMs: TTL,
        taskStatePrefix: single.taskStatePrefix,
        description: '{"id":"w1"}',
      };
      return scripts.run<Renewal>(
        'renewRuns',
        [single.workers, single.streamHigh, single.streamNormal, single.workerInfo, single.generation, single.dynamic],
        RENEW_RUNS_ARGS.encode(head, singleRuns),
      );
    };
    const [partitionNow, ...partitionReply] = await renewPartition(partition, partitionRuns);
    const [singleNow, ...singleReply] = await renewSingle();
    expect(partitionReply).toEqual(singleReply);
    expect(partitionReply).toEqual([[3, 5], [4]]);
    // The same markers, with the message ids of each deployment.
    const ids = (runs: typeof singleRuns, text: string) =>
      runs.reduce((out, run, i) => out.replace(run.messageId, `#${i + 1}`), text);
    expect(ids(partitionRuns, JSON.stringify(await markers(partition, partitionNow)))).toBe(
      ids(singleRuns, JSON.stringify(await markers(single, singleNow))),
    );
    // renew-runs-6 keeps its registry writes.
    expect(Number(await client.zscore(single.workers, 'w1'))).toBe(singleNow);
    expect(await client.hget(single.workerInfo, 'w1')).toBe('{"id":"w1"}');
  });
});

describe('sweep-partition-7', () => {
  /**
   * On `keys`' schedule: p/a declared by w1's set, p/b by w2's, p/c by nobody (with a signature, a state and a
   * history), p/d by a dynamic definition; a task set `old` nobody declared since the epoch.
   */
  async function sweepData(keys: PartitionKeys) {
    await client.set(keys.leader, TOKEN);
    for (const [i, taskId] of ['p/a', 'p/b', 'p/c', 'p/d'].entries()) {
      await client.zadd(keys.schedule, 1000 + i, taskId);
      await client.hset(keys.signatures, taskId, `sig-${i}`);
    }
    await client.sadd(keys.taskSet('d1'), 'p/a');
    await client.sadd(keys.taskSet('d2'), 'p/b');
    await client.sadd(keys.taskSet('old'), 'p/x');
    await client.hset(keys.workerTaskSets, 'w1', 'd1', 'w2', 'd2');
    await client.hset(keys.taskSets, 'old', 0);
    await client.hset(keys.dynamic, 'p/d', '{}');
    await client.hset(keys.taskState('p/c'), 'failures', 1);
    await client.xadd(keys.history('p/c'), '*', 'status', 'ok');
  }

  /** What a sweep reads and writes in `keys`, with times left out. */
  async function snapshot(keys: PartitionKeys) {
    return {
      schedule: await client.zrange(keys.schedule, 0, -1),
      signatures: await client.hkeys(keys.signatures),
      pointers: await client.hgetall(keys.workerTaskSets),
      taskSets: (await client.hkeys(keys.taskSets)).sort(),
      oldSet: await client.exists(keys.taskSet('old')),
      orphans: await client.zrange(keys.orphans, 0, -1),
      ofC: await client.exists(keys.taskState('p/c'), keys.history('p/c')),
    };
  }

  type SweepReply = -1 | [string, string[]];

  function sweepPartition(
    keys: PartitionKeys,
    live: string[],
    forget: string[],
    { token = TOKEN, cursor = '0', count = 100 } = {},
  ) {
    const keyList = [
      keys.leader,
      keys.schedule,
      keys.signatures,
      keys.workerTaskSets,
      keys.taskSets,
      keys.orphans,
      keys.dynamic,
    ];
    expectOneSlot([...keyList, keys.taskSetPrefix, keys.taskStatePrefix, keys.historyPrefix]);
    const head = {
      token,
      graceMs: GRACE,
      cursor,
      count,
      taskSetPrefix: keys.taskSetPrefix,
      taskStatePrefix: keys.taskStatePrefix,
      historyPrefix: keys.historyPrefix,
    };
    const workers = [
      ...live.map((workerId) => ({ workerId, live: '1' })),
      ...forget.map((workerId) => ({ workerId, live: '0' })),
    ];
    return scripts.run<SweepReply>('sweepPartition', keyList, SWEEP_PARTITION_ARGS.encode(head, workers));
  }

  const afterGrace = () => new Promise((resolve) => setTimeout(resolve, GRACE + 100));

  it('keeps the pointer of an owner missing from `live` until it is forgotten, removes undeclared tasks after their grace', async () => {
    const { partition } = freshKeys('psweep');
    await sweepData(partition);

    // w2 is not live (not read as such), but not forgotten: its set still declares p/b. p/c is noted.
    expect(await sweepPartition(partition, ['w1'], [])).toEqual(['0', []]);
    expect(await snapshot(partition)).toEqual({
      schedule: ['p/a', 'p/b', 'p/c', 'p/d'],
      signatures: ['p/a', 'p/b', 'p/c', 'p/d'],
      pointers: { w1: 'd1', w2: 'd2' },
      taskSets: ['d1', 'd2'],
      oldSet: 0,
      orphans: ['p/c'],
      ofC: 2,
    });
    const notedAt = Number(await client.zscore(partition.orphans, 'p/c'));
    // Within its grace, p/c stays; a live worker without a pointer stops the step; a live owner is never forgotten.
    expect(await sweepPartition(partition, ['w1'], [])).toEqual(['0', []]);
    expect(await sweepPartition(partition, ['w1', 'w3'], [])).toEqual(['0', []]);
    expect(await sweepPartition(partition, ['w1'], ['w1'])).toEqual(['0', []]);
    expect(await client.hgetall(partition.workerTaskSets)).toEqual({ w1: 'd1', w2: 'd2' });
    expect(Number(await client.zscore(partition.orphans, 'p/c'))).toBe(notedAt);

    await afterGrace();
    expect(await sweepPartition(partition, ['w1'], [])).toEqual(['0', ['p/c']]);
    expect(await snapshot(partition)).toMatchObject({
      schedule: ['p/a', 'p/b', 'p/d'],
      signatures: ['p/a', 'p/b', 'p/d'],
      pointers: { w1: 'd1', w2: 'd2' },
      orphans: [],
      ofC: 0,
    });

    // Forgotten, w2's pointer goes: p/b is noted, then removed after its grace.
    expect(await sweepPartition(partition, ['w1'], ['w2'])).toEqual(['0', []]);
    expect(await snapshot(partition)).toMatchObject({ pointers: { w1: 'd1' }, orphans: ['p/b'] });
    await afterGrace();
    expect(await sweepPartition(partition, ['w1'], [])).toEqual(['0', ['p/b']]);
    expect(await snapshot(partition)).toMatchObject({ schedule: ['p/a', 'p/d'], taskSets: ['d1'], orphans: [] });

    // A stale token changes nothing.
    await client.zadd(partition.schedule, 5000, 'p/e');
    expect(await sweepPartition(partition, ['w1'], ['w2'], { token: 'other|2' })).toBe(-1);
    expect(await client.zcard(partition.orphans)).toBe(0);
  });

  it('answers and writes as sweep-orphans-8 (one partition) when the workers it reads are passed as live', async () => {
    const { partition, single } = freshKeys('psweep2');
    await sweepData(partition);
    await sweepData(single);
    // The one-partition registry knows w1 only: sweep-orphans-8 drops w2's pointer at once, as
    // sweep-partition-7 does for a forgotten owner.
    await client.zadd(single.workers, Date.now(), 'w1');
    const sweepSingle = (cursor: string, count: number) =>
      scripts.run<SweepReply>(
        'sweepOrphans',
        [
          single.leader,
          single.schedule,
          single.signatures,
          single.workers,
          single.workerTaskSets,
          single.taskSets,
          single.orphans,
          single.dynamic,
        ],
        [TOKEN, GRACE, cursor, count, single.taskSetPrefix, single.taskStatePrefix, single.historyPrefix],
      );
    // Passes of two entries a step: a pass noting p/b and p/c, then after their grace one removing them.
    const replies: Array<[SweepReply, SweepReply]> = [];
    for (const wait of [false, true]) {
      if (wait) await afterGrace();
      let cursor = '0';
      do {
        const both: [SweepReply, SweepReply] = [
          await sweepPartition(partition, ['w1'], ['w2'], { cursor, count: 2 }),
          await sweepSingle(cursor, 2),
        ];
        replies.push(both);
        cursor = both[1] === -1 ? '0' : both[1][0];
        expect(await snapshot(partition)).toEqual(await snapshot(single));
      } while (cursor !== '0');
    }
    for (const [partitionReply, singleReply] of replies) expect(partitionReply).toEqual(singleReply);
    expect(replies.map(([reply]) => reply)).toEqual([
      ['2', []],
      ['4', []],
      ['0', []],
      ['1', ['p/b']],
      ['2', ['p/c']],
      ['0', []],
    ]);
    expect(await snapshot(single)).toEqual({
      schedule: ['p/a', 'p/d'],
      signatures: ['p/a', 'p/d'],
      pointers: { w1: 'd1' },
      taskSets: ['d1'],
      oldSet: 0,
      orphans: [],
      ofC: 0,
    });
  });
});
