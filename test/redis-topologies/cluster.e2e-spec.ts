import { Injectable } from '@nestjs/common';
import { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RegisterFunction, Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';
import { TaskManagerKeys, encodeTaskId } from 'nestjs-task-manager/testing';
import { keySlot } from '../../libs/task-manager/src/redis/redis-client.js';
import { RedisConnections } from '../../libs/task-manager/src/redis/redis-connections.js';
import {
  masterPortServing,
  startRedisCluster,
  topologyToolsMissing,
  type RedisClusterHandle,
} from '../support/redis-topologies.js';
import { freePort, redisUrl, uniquePrefix, waitFor } from '../support/redis.js';
import { RunLog, sleep, startTaskApp, untilNextSecond, type TaskApp } from '../support/task-app.js';

const missing = topologyToolsMissing();
if (missing) console.warn(`[redis-topologies] Redis Cluster tests skipped: ${missing}`);

@TaskGroup({ name: 'Clustered' })
@Injectable()
class ClusteredTasks {
  constructor(private readonly log: RunLog) {}

  @Task('* * * * * *', { name: 'every_second' })
  everySecond(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }

  @Task('0 0 1 1 *', { name: 'yearly' })
  yearly(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }

  @RegisterFunction('echo')
  echo(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

describe.skipIf(missing !== undefined)(
  `Redis Cluster: 3 masters on loopback${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let redisCluster: RedisClusterHandle | undefined;
    let client: Cluster | undefined;
    const apps: TaskApp[] = [];

    beforeAll(async () => {
      redisCluster = await startRedisCluster({ masters: 3 });
      client = new Cluster(redisCluster.nodes, { lazyConnect: true });
      await client.connect();
    }, 45_000);

    /** Port of the master serving hash slot `slot`. */
    const portServing = (slot: number): Promise<number> => masterPortServing(client!, slot);

    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close()));
    });

    afterAll(async () => {
      client?.disconnect();
      await redisCluster?.stop();
    }, 30_000);

    it('two instances run a per-second task exactly once per slot; every key of the deployment lives in one slot on one node', async () => {
      const prefix = uniquePrefix('rcluster');
      const redis = { cluster: { nodes: redisCluster!.nodes } };
      const options = { redis, leaderHeartbeatInterval: 1, runningHeartbeatInterval: 1 };
      for (let i = 0; i < 2; i++) {
        apps.push(await startTaskApp({ groups: [ClusteredTasks], prefix, options }));
      }
      const entries = () => apps.flatMap((app) => app.log.of('every_second'));

      await untilNextSecond(100);
      const from = Date.now();
      await sleep(5_000);
      const to = Date.now() - 300;
      const slots = entries()
        .map((r) => r.slot)
        .filter((slot) => slot > from && slot <= to);
      expect(slots.length).toBeGreaterThanOrEqual(4);
      expect(new Set(slots).size).toBe(slots.length); // once per slot, across both instances
      for (let slot = Math.min(...slots); slot <= Math.max(...slots); slot += 1000) expect(slots).toContain(slot);
      for (const app of apps) expect(app.service.health().status).toBe('healthy');

      // Change notices over Cluster pub/sub: a trigger wakes the leader, which sleeps until next year for this task.
      const triggeredAt = Date.now();
      await apps[1].service.trigger({ groupName: 'Clustered', name: 'yearly' });
      const triggered = await waitFor(() => apps.flatMap((app) => app.log.of('yearly'))[0], { timeoutMs: 3_000 });
      expect(triggered.startedAt - triggeredAt).toBeLessThan(1_000);

      // Every key sits in the deployment's hash slot, on one node.
      const keys = new TaskManagerKeys(prefix);
      const slot = keySlot(keys.tag);
      const perNode = await Promise.all(
        client!.nodes('master').map(async (node) => {
          const [, found] = await node.scan('0', 'MATCH', `${keys.allKeysPattern}`, 'COUNT', 10_000);
          return found;
        }),
      );
      const found = perNode.flat();
      expect(perNode.filter((nodeKeys) => nodeKeys.length > 0)).toHaveLength(1);
      const taskId = encodeTaskId('Clustered', 'every_second');
      for (const key of [
        keys.schedule,
        keys.signatures,
        keys.streamHigh,
        keys.streamNormal,
        keys.leader,
        keys.epoch,
        keys.workers,
        keys.workerInfo,
        keys.taskState(taskId),
        keys.history(taskId),
      ]) {
        expect(found).toContain(key);
      }
      for (const key of found) expect(await client!.cluster('KEYSLOT', key)).toBe(slot);
      const ownerPort = await portServing(slot);
      const ownerNode = client!.nodes('master').find((node) => node.options.port === ownerPort)!;
      expect(await ownerNode.cluster('COUNTKEYSINSLOT', slot)).toBe(found.length);
      expect(perNode[client!.nodes('master').indexOf(ownerNode)]).toHaveLength(found.length);

      // Closing leaves no connection behind on any node.
      await Promise.all(apps.splice(0).map((app) => app.close()));
      await waitFor(
        async () => {
          for (const node of client!.nodes('master')) {
            if (((await node.client('LIST')) as string).includes('nest-task-manager:')) return false;
          }
          return true;
        },
        { timeoutMs: 3_000, message: 'no engine connection left on the cluster' },
      );
    }, 60_000);

    it('serves every management operation (pipelines, scripts, dynamic tasks) from the one node of its slot', async () => {
      const prefix = uniquePrefix('rcluster-ops');
      const options = { redis: { cluster: { nodes: redisCluster!.nodes } }, leaderHeartbeatInterval: 1 };
      const [a, b] = [
        await startTaskApp({ groups: [ClusteredTasks], prefix, options }),
        await startTaskApp({ groups: [ClusteredTasks], prefix, options }),
      ];
      apps.push(a, b);
      const every = { groupName: 'Clustered', name: 'every_second' };
      await waitFor(() => [a, b].some((app) => app.log.of('every_second').length >= 2), { timeoutMs: 5_000 });

      expect(await a.service.disable(every)).toHaveLength(1);
      expect((await b.service.getTasks(every))[0].state.disabled).toBe(true);
      expect(await a.service.enable(every)).toHaveLength(1);
      expect(await a.service.resetRetry(every)).toHaveLength(1);
      expect((await b.service.getRunHistory('Clustered', 'every_second')).length).toBeGreaterThan(0);
      expect(await a.service.clearRunHistory(every)).toHaveLength(1);
      expect(await b.service.getRunHistory('Clustered', 'every_second')).toHaveLength(0);
      expect((await a.service.workers()).map((w) => w.id).sort()).toEqual(
        [a.service.health().workerId, b.service.health().workerId].sort(),
      );

      // A dynamic task created through one instance is known to the other (notice over Cluster pub/sub) and runs.
      const created = await a.service.createDynamicTask({
        groupName: 'Clustered',
        functionName: 'echo',
        cronExpression: '* * * * * *',
        name: 'dyn',
        kwargs: { hello: 'cluster' },
      });
      await waitFor(() => b.service.listTasks({ name: created.name }).length === 1, { timeoutMs: 3_000 });
      await waitFor(() => [a, b].some((app) => app.log.of('dyn').length > 0), { timeoutMs: 5_000 });
      await b.service.deleteDynamicTask('Clustered', 'dyn');
      await waitFor(() => a.service.listTasks({ name: 'dyn' }).length === 0, { timeoutMs: 3_000 });
    }, 60_000);

    it('is unhealthy while the node serving its slot is down, and resumes by itself once it is back', async () => {
      const prefix = uniquePrefix('rcluster-down');
      const redis = { cluster: { nodes: redisCluster!.nodes } };
      const options = { redis, leaderHeartbeatInterval: 1, runningHeartbeatInterval: 1, reconciliationInterval: 2 };
      const app = await startTaskApp({ groups: [ClusteredTasks], prefix, options });
      apps.push(app);
      await waitFor(() => app.log.of('every_second').length > 0, { timeoutMs: 5_000 });
      expect(app.service.health().status).toBe('healthy');

      const ownerPort = await portServing(keySlot(new TaskManagerKeys(prefix).tag));
      const owner = redisCluster!.processes.find((p) => p.port === ownerPort)!;
      owner.kill('SIGKILL');
      await waitFor(() => app.service.health().status === 'unhealthy', {
        timeoutMs: 5_000,
        message: 'unhealthy after the node serving the slot died',
      });
      await sleep(2_000);
      expect(app.service.health().status).toBe('unhealthy');

      // The node restarts empty (no persistence) with its cluster identity: the engine rebuilds the schedule.
      await owner.start();
      const restartedAt = Date.now();
      await waitFor(() => app.service.health().status === 'healthy', {
        timeoutMs: 15_000,
        message: 'healthy again once the node is back',
      });
      await waitFor(() => app.log.of('every_second').some((r) => r.slot > restartedAt), {
        timeoutMs: 15_000,
        message: 'runs after the node came back',
      });
      console.log(`[cluster] node down and back: runs resumed ${Date.now() - restartedAt} ms after the restart`);
    }, 60_000);

    it('fails at boot with a clear message when the configured topology does not match the server', async () => {
      const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };
      const asSingle = new RedisConnections({ redis: redisCluster!.nodes[0] }, silent);
      await expect(asSingle.connect()).rejects.toThrow(
        /is a Redis Cluster node: configure the cluster with `redis: \{ cluster: \{ nodes/,
      );
      await asSingle.close();

      const plain = new URL(redisUrl());
      const asCluster = new RedisConnections(
        {
          redis: {},
          redisCluster: { nodes: [{ host: plain.hostname, port: Number(plain.port || 6379) }], options: {} },
        },
        silent,
      );
      await expect(asCluster.connect()).rejects.toThrow(/startup nodes are not Redis Cluster nodes/);
      await asCluster.close();

      const closedPort = await freePort();
      const unreachable = new RedisConnections(
        { redis: {}, redisCluster: { nodes: [{ host: '127.0.0.1', port: closedPort }], options: {} } },
        silent,
      );
      await expect(unreachable.connect()).rejects.toThrow(
        /^Redis unreachable at Redis Cluster startup nodes 127\.0\.0\.1:\d+: None of startup nodes is available \(last node error: /,
      );
      await unreachable.close();
    });
  },
);
