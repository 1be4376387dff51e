/**
 * Resource bounds of a running deployment (2 real instances, a private redis-server): run streams never grow
 * (entries are deleted when their run completes: XLEN back to 0, nothing pending), histories are capped at
 * statisticsHistoryRuns and expire, notices are pub/sub messages (no key, one subscription per instance), each
 * instance holds at most its 4 connections (the heartbeat thread has one), and the key space is exactly the documented one — a fixed set plus
 * at most a state hash and a history stream per task. The 10-minute soak reports the same figures under faults,
 * with the memory of every instance and of Redis (docs/reliability.md).
 */
import { Redis } from 'ioredis';
import { TaskManagerKeys } from 'nestjs-task-manager/testing';
import { apiBaseOf, Cluster, startWithEnv, type WorkerProcess } from '../support/cluster.js';
import { ensureLibraryFresh } from '../support/library-build.js';
import { startRedisServer, waitFor, type RedisServerHandle } from '../support/redis.js';

const HISTORY_RUNS = 5;
const HISTORY_TTL = 60;
const MIX = [
  { name: 'sec', crons: ['* * * * * *'], count: 12, ms: [5, 40] },
  // High and normal priority due together (finding #1, fixed: they could leave a run pending for ever on a
  // live worker; run-bookkeeping.e2e-spec.ts).
  { name: 'urgent', crons: ['* * * * * *'], count: 3, ms: [5, 40], highPriority: true },
  {
    name: 'fail',
    crons: ['* * * * * *'],
    count: 3,
    ms: [5, 20],
    failRate: 1,
    retryBackoff: 1,
    retryBackoffMax: 2,
    maxAttempts: 2,
  },
  { name: 'serial', crons: ['*/2 * * * * *'], count: 2, ms: [2500, 2500], allowParallel: false },
];
const TASKS = 12 + 3 + 3 + 2;
const OPTIONS = {
  statisticsHistoryRuns: HISTORY_RUNS,
  statisticsRedisExpiration: HISTORY_TTL,
  leaderHeartbeatInterval: 1,
  runningHeartbeatInterval: 1,
  reconciliationInterval: 2,
};
const rssOf = async (pid: number) => {
  const { readFile } = await import('node:fs/promises');
  return Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
};

describe('resource bounds of a running deployment', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  let cluster: Cluster;
  let workers: WorkerProcess[];
  const prefix = 'bounds';
  const keys = new TaskManagerKeys(prefix);
  const samples: Array<{ high: number; normal: number; oneoff: number; used: number }> = [];
  let rssStart: number[] = [];

  beforeAll(async () => {
    ensureLibraryFresh();
    server = await startRedisServer();
    redis = new Redis(server.url);
    cluster = new Cluster({ redisUrl: server.url, prefix, options: OPTIONS });
    const env = { HTTP_PORT: '0', MIX: JSON.stringify(MIX) };
    workers = await Promise.all([startWithEnv(cluster, env), startWithEnv(cluster, env)]);
    await cluster.waitForLeader();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    rssStart = await Promise.all(workers.map((w) => rssOf(w.pid)));
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      const [high, normal, oneoff, info] = await Promise.all([
        redis.xlen(keys.streamHigh),
        redis.xlen(keys.streamNormal),
        redis.zcard(keys.oneOff),
        redis.info('memory'),
      ]);
      samples.push({ high, normal, oneoff, used: Number(/used_memory:(\d+)/.exec(info)?.[1]) });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
    await server?.stop();
  });

  it('keeps the run streams and the one-off queue small while running (entries deleted on completion)', () => {
    // Every second publishes ~20 runs; the backlog never holds more than a step's worth.
    expect(Math.max(...samples.map((s) => s.high + s.normal))).toBeLessThanOrEqual(TASKS);
    expect(Math.max(...samples.map((s) => s.oneoff))).toBeLessThanOrEqual(TASKS);
    const [first, last] = [samples[0].used, samples.at(-1)!.used];
    expect(last - first).toBeLessThan(1024 * 1024);
  });

  it('drains to empty streams with nothing pending once the schedule stops', async () => {
    const res = await fetch(`${apiBaseOf(workers[0])}/tasks/disable`, { method: 'POST' });
    expect(res.status).toBe(200);
    await waitFor(
      async () =>
        (await redis.xlen(keys.streamHigh)) +
          (await redis.xlen(keys.streamNormal)) +
          (await redis.zcard(keys.oneOff)) ===
        0,
      { timeoutMs: 10_000, message: 'empty run streams' },
    );
    for (const stream of [keys.streamHigh, keys.streamNormal]) {
      const pending = (await redis.xpending(stream, 'nest-task-manager')) as [number];
      expect(Number(pending[0])).toBe(0);
    }
  }, 20_000);

  it('caps every history at statisticsHistoryRuns and lets it expire', async () => {
    const histories = await redis.keys(`${keys.historyPrefix.replace(/[*?[\]\\]/g, '\\$&')}*`);
    expect(histories.length).toBe(TASKS);
    for (const key of histories) {
      expect(await redis.xlen(key)).toBeLessThanOrEqual(HISTORY_RUNS);
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(HISTORY_TTL);
    }
    // The per-second tasks ran more often than the cap: the cap did bite.
    expect(cluster.ofType('end').filter((e) => e.task === 'sec-1').length).toBeGreaterThan(HISTORY_RUNS);
  });

  it('stores exactly the documented keys: a fixed set plus a state hash and a history per task', async () => {
    const all = await redis.keys('*'); // private server: this deployment only
    const fixed = [
      keys.schedule,
      keys.signatures,
      keys.oneOff,
      keys.streamHigh,
      keys.streamNormal,
      keys.leader,
      keys.epoch,
      keys.generation,
      keys.workers,
      keys.workerInfo,
      keys.workerTaskSets,
      keys.taskSets,
    ];
    const perTask = all.filter((k) => k.startsWith(keys.taskStatePrefix) || k.startsWith(keys.historyPrefix));
    // One declared static task set: both instances run the same code.
    const taskSets = all.filter((k) => k.startsWith(keys.taskSetPrefix));
    expect(taskSets).toHaveLength(1);
    const other = all.filter((k) => !perTask.includes(k) && !fixed.includes(k) && !taskSets.includes(k));
    expect(other).toEqual([]); // no notice key ({p}:events is a pub/sub channel), nothing unexpected
    expect(perTask.length).toBeLessThanOrEqual(2 * TASKS);
    expect(await redis.zcard(keys.schedule)).toBe(TASKS);
    expect(await redis.zcard(keys.workers)).toBe(2);
  });

  it('holds one notice subscription and at most 4 connections per instance', async () => {
    const [, subscribers] = (await redis.pubsub('NUMSUB', keys.events)) as [string, number];
    expect(Number(subscribers)).toBe(2);
    const clients = String(await redis.client('LIST'))
      .split('\n')
      .filter((line) => /name=nest-task-manager:/.test(line));
    // Command, blocking read, subscription, and the heartbeat thread's.
    expect(clients.length).toBeLessThanOrEqual(2 * 4);
    expect(clients.filter((line) => /name=nest-task-manager:heartbeat/.test(line))).toHaveLength(2);
  });

  it('kept the memory of every instance flat over the run', async () => {
    const rssEnd = await Promise.all(workers.map((w) => rssOf(w.pid)));
    rssEnd.forEach((end, i) => expect(end - rssStart[i]).toBeLessThan(40 * 1024 * 1024));
    expect(cluster.ofType('unhandledRejection')).toEqual([]);
  });
});
