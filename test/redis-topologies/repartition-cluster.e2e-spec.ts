/**
 * The offline repartition (`nestjs-task-manager/ops`) on the local 3-master Redis Cluster: a deployment of the
 * Nest module at P = 1 (states, history, a dynamic task, a queued run) moved to 6 partitions, whose keys then lie
 * on every master, booted there with the same tasks, states and history (the queued run run once), and moved
 * back to 1: no partition key is left on any master, and the module boots on the P = 1 layout with the same
 * states. Every step of a repartition touches one slot (no cross-slot script): the Cluster would refuse one.
 * test/repartition.e2e-spec.ts checks the rest on a standalone Redis.
 */
import { Injectable } from '@nestjs/common';
import { Cluster } from 'ioredis';
import { RegisterFunction, Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';
import { encodeTaskId, TaskManagerKeys } from 'nestjs-task-manager/testing';
import { runRepartition } from '../../libs/task-manager/src/ops/repartition.js';
import { keySlot } from '../../libs/task-manager/src/redis/redis-client.js';
import { startRedisCluster, topologyToolsMissing, type RedisClusterHandle } from '../support/redis-topologies.js';
import { escapeRedisGlob, uniquePrefix, waitFor } from '../support/redis.js';
import { RunLog, startTaskApp, type TaskApp } from '../support/task-app.js';

const missing = topologyToolsMissing();
if (missing) console.warn(`[redis-topologies] Redis Cluster repartition test skipped: ${missing}`);
const NEVER = '0 0 1 1 *';

@TaskGroup({ name: 'Spread' })
@Injectable()
class SpreadTasks {
  constructor(private readonly log: RunLog) {}

  @Task('* * * * * *', { name: 'tick' })
  tick(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @Task(NEVER, {
    name: 'still',
    kwargs: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }, { n: 6 }, { n: 7 }, { n: 8 }],
  })
  still(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @Task(NEVER, { name: 'queued' })
  queued(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @RegisterFunction('report')
  report(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }
}

describe.skipIf(missing !== undefined)('repartition on a 3-master Redis Cluster: 1 → 6 → 1', () => {
  let redisCluster: RedisClusterHandle | undefined;
  let client: Cluster | undefined;
  const apps: TaskApp[] = [];
  const prefix = uniquePrefix('rp-cluster');

  beforeAll(async () => {
    redisCluster = await startRedisCluster({ masters: 3 });
    client = new Cluster(redisCluster.nodes, { lazyConnect: true });
    await client.connect();
  }, 45_000);

  afterAll(async () => {
    for (const app of apps) await app.close();
    client?.disconnect();
    await redisCluster?.stop();
  }, 30_000);

  /** Every key of the key prefix on every master, in any layout, sorted. */
  const keysOnMasters = async (): Promise<Array<{ key: string; master: number }>> => {
    const found: Array<{ key: string; master: number }> = [];
    for (const node of client!.nodes('master')) {
      for (const match of [`${escapeRedisGlob(`{${prefix}}`)}:*`, `${escapeRedisGlob(`{{${prefix}:`)}*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
          for (const key of keys) found.push({ key, master: node.options.port! });
          cursor = next;
        } while (cursor !== '0');
      }
    }
    return found.sort((a, b) => a.key.localeCompare(b.key));
  };

  const boot = async (partitions: number) => {
    const app = await startTaskApp({
      groups: [SpreadTasks],
      prefix,
      options: { redis: { cluster: { nodes: redisCluster!.nodes } }, partitions },
    });
    apps.push(app);
    return app;
  };
  const move = (to: number) =>
    runRepartition({ redis: { cluster: { nodes: redisCluster!.nodes } }, keyPrefix: prefix, to }, { settleMs: 0 });
  const seen = async (app: TaskApp) => ({
    tasks: (await app.service.getTasks())
      .filter((view) => !['tick', 'queued'].includes(view.task.name))
      .map((view) => ({ name: view.task.name, kwargs: view.task.kwargs, state: view.state }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    history: await app.service.getRunHistory('Spread', 'still-1'),
  });

  it('moves the tasks onto every master and back, each step on one slot', async () => {
    const first = await boot(1);
    await first.service.trigger({ groupName: 'Spread', name: 'still-1' });
    await first.service.disable({ groupName: 'Spread', name: 'still-2' });
    await first.service.createDynamicTask({
      groupName: 'Spread',
      functionName: 'report',
      cronExpression: NEVER,
      name: 'dyn',
    });
    await waitFor(async () => (await first.service.getRunHistory('Spread', 'still-1')).length === 1, {
      message: 'a run recorded at P = 1',
    });
    const before = await seen(first);
    await first.close();
    const keys1 = new TaskManagerKeys(prefix);
    const slot = Date.now() - 10_000;
    await client!.xadd(
      keys1.streamNormal,
      '*',
      't',
      encodeTaskId('Spread', 'queued'),
      's',
      slot,
      'a',
      1,
      'k',
      'trigger',
    );

    expect(await move(6)).toMatchObject({ from: 1, to: 6, runsConverted: 1 });
    const keys6 = new TaskManagerKeys(prefix, 6);
    const masters = new Set(
      (await keysOnMasters()).filter(({ key }) => key.endsWith(':schedule')).map(({ master }) => master),
    );
    expect(masters.size).toBe(3);
    expect(new Set(Array.from({ length: 6 }, (_, i) => keySlot(keys6.partition(i).schedule))).size).toBe(6);

    const six = await boot(6);
    expect(await seen(six)).toEqual(before);
    await waitFor(() => six.log.of('queued').length > 0, { message: 'the queued run at P = 6' });
    expect(six.log.of('queued').map((run) => run.slot)).toEqual([slot]);
    await six.close();

    expect(await move(1)).toMatchObject({ from: 6, to: 1 });
    const left = await keysOnMasters();
    expect(left.filter(({ key }) => !key.startsWith(`{${prefix}}:`))).toEqual([]);
    expect(left.map(({ key }) => key)).not.toContain(keys1.layoutMarkerStream);
    const again = await boot(1);
    expect(await seen(again)).toEqual(before);
    expect(again.log.of('queued')).toEqual([]);
    await again.close();
  }, 60_000);
});
