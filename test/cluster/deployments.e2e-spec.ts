/**
 * Deployments sharing a key prefix over time and space:
 * - a static task removed from the code, across a rolling restart: kept while an instance still running the
 *   old code declares it, removed (schedule entry, signature, state) once no live instance has declared it
 *   for the grace period;
 * - two `workerServiceName`s on one key prefix would each have a consumer group on the run streams, and every
 *   slot would run once per group: a second one is refused at boot, naming the fix; a foreign group appearing
 *   at runtime turns health red (and back once it is removed).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeTaskId, TaskManagerKeys } from 'nestjs-task-manager/testing';
import { Cluster } from '../support/cluster.js';
import { ensureLibraryFresh } from '../support/library-build.js';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from '../support/redis.js';

/** The old code also declares the task "long" (never due during the test). */
const OLD_CODE = { longTaskCron: '0 0 1 1 *' };

describe('deployments sharing a key prefix', () => {
  let cluster: Cluster | undefined;
  let redis: Redis | undefined;
  let prefix = '';
  afterEach(async () => {
    redis?.disconnect();
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  it('keeps the task while an old instance declares it, then removes it after the grace period', async () => {
    prefix = uniquePrefix('orphans');
    redis = new Redis(redisUrl());
    const keys = new TaskManagerKeys(prefix);
    const long = encodeTaskId('Cluster', 'long');
    cluster = new Cluster({
      redisUrl: redisUrl(),
      prefix,
      tasks: 1,
      options: {
        orphanedTaskGracePeriod: 2,
        reconciliationInterval: 1,
        leaderHeartbeatInterval: 1,
        runningHeartbeatInterval: 1,
      },
    });
    const [a1, b1] = await Promise.all([cluster.start(OLD_CODE), cluster.start(OLD_CODE)]);
    await cluster.waitForLeader();
    expect(await redis.zscore(keys.schedule, long)).not.toBeNull();
    await redis.hset(keys.taskState(long), 'disabled', '1');

    // One instance at a time: the other still runs the old code, which declares "long".
    a1.signal('SIGTERM');
    await a1.exit();
    await cluster.start();
    await sleep(5000); // more than the grace period plus two sweeps
    expect(await redis.zscore(keys.schedule, long)).not.toBeNull();

    b1.signal('SIGTERM');
    await b1.exit();
    await cluster.start();
    await waitFor(async () => (await redis!.zscore(keys.schedule, long)) === null, {
      timeoutMs: 10_000,
      message: 'the schedule entry of the removed task to go',
    });
    expect(await redis.exists(keys.taskState(long))).toBe(0);
    expect(await redis.hexists(keys.signatures, long)).toBe(0);
    // The completeness check counts registered tasks only again.
    expect(await redis.zcard(keys.schedule)).toBe(1);
    expect(cluster.ofType('unhandledRejection')).toEqual([]);
  }, 60_000);

  it('refuses an instance with another workerServiceName, and fails health if a foreign group appears', async () => {
    ensureLibraryFresh();
    prefix = uniquePrefix('groups');
    redis = new Redis(redisUrl());
    const keys = new TaskManagerKeys(prefix);
    const options = { reconciliationInterval: 1, leaderHeartbeatInterval: 1 };
    cluster = new Cluster({
      redisUrl: redisUrl(),
      prefix,
      tasks: 1,
      options: { ...options, workerServiceName: 'svc-a' },
    });
    const a = await cluster.start();

    const refused = cluster.start({ options: { ...options, workerServiceName: 'svc-b' } });
    await expect(refused).rejects.toThrow(/also used with workerServiceName "svc-a"[\s\S]*this instance uses "svc-b"/);
    expect(cluster.workers[1].output).toMatch(/XGROUP DESTROY \{t-groups-\w+\}:stream:high svc-a/);
    // The refused instance left no group behind.
    for (const stream of [keys.streamHigh, keys.streamNormal]) {
      const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
      expect(groups.map((g) => g[g.indexOf('name') + 1])).toEqual(['svc-a']);
    }

    // A group of another service appears at runtime (e.g. an older deployment started by hand).
    await redis.xgroup('CREATE', keys.streamNormal, 'svc-c', '$');
    await waitFor(() => cluster!.ofType('health').some((e) => e.pid === a.pid && e.healthy === false), {
      timeoutMs: 5000,
      message: 'health to turn red',
    });
    expect(a.output).toMatch(/also used with workerServiceName "svc-c"/);
    await redis.xgroup('DESTROY', keys.streamNormal, 'svc-c');
    await waitFor(() => cluster!.ofType('health').at(-1)?.healthy === true, {
      timeoutMs: 5000,
      message: 'health to turn green again',
    });
    expect(cluster.ofType('unhandledRejection')).toEqual([]);
  }, 60_000);
});
