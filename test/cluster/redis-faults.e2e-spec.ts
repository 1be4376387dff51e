import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskManagerKeys, encodeTaskId } from 'nestjs-task-manager/testing';
import { Cluster } from '../support/cluster.js';
import { startRedisServer, waitFor, type RedisServerHandle } from '../support/redis.js';

const TASKS = 3;

describe('Redis faults (private redis-server)', () => {
  let cluster: Cluster | undefined;
  let server: RedisServerHandle | undefined;
  afterEach(async () => {
    await cluster?.stop();
    await server?.stop();
  });

  it('FLUSHALL: schedule and consumer groups rebuilt within one reconciliation interval; no succeeded run recorded as failed', async () => {
    server = await startRedisServer();
    const prefix = 'flush';
    cluster = new Cluster({
      redisUrl: server.url,
      prefix,
      tasks: TASKS,
      taskMs: 400, // runs are in flight when the data disappears
      options: { reconciliationInterval: 3, leaderHeartbeatInterval: 1 },
    });
    await Promise.all([cluster.start(), cluster.start()]);
    await cluster.waitForLeader();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const redis = new Redis(server.url);
    try {
      await redis.flushall();
      const flushedAt = Date.now();
      // Runs resume: a run of a slot after the flush completes within one reconciliation interval (+ a slot).
      await waitFor(() => cluster!.ofType('end').some((e) => e.slot! > flushedAt + 500), { timeoutMs: 3000 + 2000 });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const keys = new TaskManagerKeys(prefix);
      expect(await redis.zcard(keys.schedule)).toBe(TASKS);
      const groups = (await redis.xinfo('GROUPS', keys.streamNormal)) as unknown[][];
      expect(groups.length).toBe(1);
      for (let i = 1; i <= TASKS; i++) {
        const history = (await redis.xrange(keys.history(encodeTaskId('Cluster', `t-${i}`)), '-', '+')) as Array<
          [string, string[]]
        >;
        const statuses = history.map(([, fields]) => fields[fields.indexOf('st') + 1]);
        expect(statuses.length).toBeGreaterThan(0);
        expect(statuses.filter((s) => s !== 'success')).toEqual([]);
      }
      expect(cluster.alive()).toHaveLength(2);
      expect(cluster.ofType('unhandledRejection')).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 60_000);

  it('Redis down for 10 s: instances stay up, report unhealthy, resume by themselves, log once per state change', async () => {
    server = await startRedisServer();
    cluster = new Cluster({
      redisUrl: server.url,
      prefix: 'outage',
      tasks: TASKS,
      options: { leaderHeartbeatInterval: 1 },
    });
    await Promise.all([cluster.start(), cluster.start()]);
    await cluster.waitForLeader();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    server.kill('SIGKILL');
    const downAt = Date.now();
    await waitFor(() => cluster!.ofType('health').filter((e) => e.healthy === false).length === 2, { timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 10_000 - (Date.now() - downAt)));
    expect(cluster.alive()).toHaveLength(2);
    await server.restart();
    const upAt = Date.now();
    await waitFor(() => cluster!.ofType('health').filter((e) => e.healthy === true && e.t > upAt).length === 2, {
      timeoutMs: 10_000,
    });
    // Scheduling resumes on its own (the restarted server is empty: the leader rebuilds the schedule).
    await waitFor(() => cluster!.ofType('end').some((e) => e.t > upAt), {
      timeoutMs: 10_000,
    });
    expect(cluster.alive()).toHaveLength(2);
    expect(cluster.ofType('unhandledRejection')).toEqual([]);
    for (const worker of cluster.workers) {
      const unreachable = worker.output.match(/Redis unreachable/g) ?? [];
      expect(unreachable.length).toBe(1);
      expect(worker.output.split('\n').filter((l) => /WARN|ERROR/.test(l)).length).toBeLessThan(15);
    }
  }, 60_000);
});
