/**
 * The `partitions` module option on real Redis (issue 15): the Nest module booted with `partitions: 6` runs its
 * tasks on the partitioned layout, and the layout marker (wire/layout-marker.ts) keeps two deployments of
 * different partition counts off one key prefix: the second to start refuses, with a message naming both
 * counts and the fixes, and leaves no key or consumer group behind; one that appears at runtime turns health
 * unhealthy. Each test has its own key prefix; every key of both layouts is removed afterwards.
 */
import { Injectable, type Type } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Task, TaskGroup, TaskManagerConfigurationError, type TaskContext } from 'nestjs-task-manager';
import { encodeTaskId, TaskManagerKeys } from 'nestjs-task-manager/testing';
import { redisUrl, uniquePrefix, waitFor } from './support/redis.js';
import { RunLog, startTaskApp, type TaskApp } from './support/task-app.js';

const NEVER = '0 0 1 1 *';

@TaskGroup({ name: 'Parts' })
@Injectable()
class TickTasks {
  constructor(private readonly log: RunLog) {}

  @Task('* * * * * *', { name: 'tick' })
  tick(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @Task(NEVER, { name: 'manual', highPriority: true })
  manual(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }
}

/** Tasks that never fire by themselves: an instance of them writes nothing after it started. */
@TaskGroup({ name: 'Quiet' })
@Injectable()
class QuietTasks {
  constructor(private readonly log: RunLog) {}

  @Task(NEVER, { name: 'a' })
  a(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @Task(NEVER, { name: 'b' })
  b(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }
}

const client = new Redis(redisUrl());
const apps: TaskApp[] = [];
const prefixes: string[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const prefix of prefixes.splice(0)) {
    for (const partitions of [1, 3, 6]) {
      for (const pattern of new TaskManagerKeys(prefix, partitions).allKeysPatterns) {
        const found = await client.keys(pattern);
        if (found.length > 0) await client.unlink(...found);
      }
    }
  }
});
afterAll(() => client.disconnect());

function freshPrefix(label: string): string {
  const prefix = uniquePrefix(label);
  prefixes.push(prefix);
  return prefix;
}

async function start(prefix: string, partitions: number, groups: Type[] = [QuietTasks]): Promise<TaskApp> {
  const app = await startTaskApp({
    groups,
    prefix,
    options: { partitions, reconciliationInterval: 1, leaderHeartbeatInterval: 1 },
  });
  apps.push(app);
  return app;
}

/** Every key of either layout of `prefix` (`name type [groups=...]`), sorted: what a refused instance must not change. */
async function snapshot(prefix: string, counts: number[]): Promise<string[]> {
  const names = new Set<string>();
  for (const partitions of counts)
    for (const pattern of new TaskManagerKeys(prefix, partitions).allKeysPatterns)
      for (const name of await client.keys(pattern)) names.add(name);
  const keys: string[] = [];
  for (const name of [...names].sort()) {
    const type = await client.type(name);
    keys.push(type === 'stream' ? `${name} stream groups=${(await groupsOf(name)).join(',')}` : `${name} ${type}`);
  }
  return keys;
}

/** The consumer groups of a stream, sorted ([] when it does not exist). */
async function groupsOf(stream: string): Promise<string[]> {
  if ((await client.exists(stream)) === 0) return [];
  const groups = (await client.xinfo('GROUPS', stream)) as string[][];
  return groups.map((fields) => fields[fields.indexOf('name') + 1]).sort();
}

describe('partitions option', () => {
  it('boots the module with partitions: 6 and runs scheduled and triggered tasks in their partitions', async () => {
    const prefix = freshPrefix('p6');
    const keys = new TaskManagerKeys(prefix, 6);
    const app = await start(prefix, 6, [TickTasks]);
    expect(app.service.config().partitions).toBe(6);

    await waitFor(() => app.log.of('tick').filter((run) => run.endedAt).length >= 2, {
      timeoutMs: 15_000,
      message: 'two ticks',
    });
    await app.service.trigger({ groupName: 'Parts', name: 'manual' }, { kwargs: { n: 1 } });
    await waitFor(() => app.log.of('manual').some((run) => run.endedAt), { message: 'the triggered run' });
    expect(app.log.of('manual')[0].kwargs).toEqual({ n: 1 });
    await waitFor(async () => (await app.service.getRunHistory('Parts', 'tick')).length > 0, {
      message: 'the history of tick',
    });

    // Each task's schedule entry and state live in its own partition; the one-partition keys hold no task.
    for (const name of ['tick', 'manual']) {
      const id = encodeTaskId('Parts', name);
      const own = keys.partition(keys.partitionOf(id));
      expect(own.tag).not.toBe(`{${prefix}}`);
      expect(await client.zscore(own.schedule, id)).not.toBeNull();
    }
    expect(await client.exists(keys.schedule)).toBe(0);
    expect(await client.exists(keys.streamHigh)).toBe(0);
    // The layout marker, alone and empty, on the one-partition normal stream.
    expect(await groupsOf(keys.layoutMarkerStream)).toEqual(['partitions:6']);
    expect(await client.xlen(keys.layoutMarkerStream)).toBe(0);

    // A second instance with the same count joins the deployment.
    const peer = await start(prefix, 6);
    await waitFor(() => peer.service.health().status === 'healthy', { message: 'the peer healthy' });
    expect(app.service.health().status).toBe('healthy');
  });

  it.each([
    [6, 1],
    [1, 6],
    [6, 3],
    [3, 6],
  ])(
    'a deployment of %i partitions on the key prefix: an instance of %i refuses to start, leaving nothing',
    async (first, second) => {
      const prefix = freshPrefix(`p${first}v${second}`);
      const running = await start(prefix, first);
      await waitFor(() => running.service.health().isLeader, { message: 'the first deployment leading' });
      const before = await snapshot(prefix, [first, second]);

      const refused = start(prefix, second).catch((error: unknown) => error);
      const error = (await refused) as Error;
      expect(error).toBeInstanceOf(TaskManagerConfigurationError);
      expect(error.message).toContain(
        `Key prefix "${prefix}" is already used by a deployment with partitions: ${first}`,
      );
      expect(error.message).toContain(`while this instance has partitions: ${second}`);
      expect(error.message).toMatch(/the same `partitions` option, or give the other deployment its own keyPrefix/);
      expect(error.message).toMatch(/needs a repartition/);
      expect(error.message).toMatch(/XGROUP DESTROY \{[^}]+\}:stream:normal /);

      expect(await snapshot(prefix, [first, second])).toEqual(before);
      expect(running.service.health().status).toBe('healthy');
    },
  );

  it('at runtime: a group of another layout turns a partitioned instance unhealthy; a wiped marker comes back', async () => {
    const prefix = freshPrefix('p6rt');
    const keys = new TaskManagerKeys(prefix, 6);
    const app = await start(prefix, 6);
    expect(app.service.health().status).toBe('healthy');

    // A one-partition deployment's group appears (e.g. an instance of an older configuration started by hand).
    await client.xgroup('CREATE', keys.layoutMarkerStream, 'nest-task-manager', '$');
    await waitFor(() => app.service.health().problem, { message: 'the problem reported' });
    expect(app.service.health().status).toBe('unhealthy');
    expect(app.service.health().problem).toContain(
      `already used by a deployment with partitions: 1 (consumer group "nest-task-manager"), while this instance has partitions: 6`,
    );

    // Gone again, and the stream wiped: healthy, and the marker is put back by the next check.
    await client.del(keys.layoutMarkerStream);
    await waitFor(() => app.service.health().status === 'healthy', { message: 'healthy again' });
    await waitFor(async () => (await groupsOf(keys.layoutMarkerStream)).join() === 'partitions:6', {
      message: 'the marker back',
    });
  });

  it('at runtime: a one-partition instance sees the marker of a partitioned deployment appear', async () => {
    const prefix = freshPrefix('p1rt');
    const keys = new TaskManagerKeys(prefix);
    const app = await start(prefix, 1);
    await client.xgroup('CREATE', keys.streamNormal, 'partitions:6', '$');
    await waitFor(() => app.service.health().problem, { message: 'the problem reported' });
    expect(app.service.health().problem).toContain(
      `Key prefix "${prefix}" is already used by a deployment with partitions: 6, while this instance has partitions: 1`,
    );
    expect(app.service.health().problem).not.toContain('workerServiceName "partitions:6"');
  });
});
