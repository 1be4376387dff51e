/**
 * Deployments for the repartition tests (test/repartition.e2e-spec.ts): a seeded one-partition deployment built
 * through the real Redis driver (tasks, states, history, a dynamic task, declarations, an orphan note, one-off
 * runs, queued runs on both streams and a run held by a worker that died), and what a key prefix holds, read
 * (normalised, to compare two runs) or dumped and restored (to replay an interruption at every step).
 */
import type { Redis } from 'ioredis';
import type { CoordinationPort } from '../../libs/task-manager/src/engine/coordination.port.js';
import { resolveOptions } from '../../libs/task-manager/src/options/resolve-options.js';
import { createRedisCoordination } from '../../libs/task-manager/src/redis/redis-coordination.js';
import { TaskManagerKeys } from '../../libs/task-manager/src/redis/task-manager-keys.js';
import { encodeTaskId } from '../../libs/task-manager/src/registry/task-id.js';
import {
  BACKOFF,
  dueOf,
  itemFor,
  lead,
  outcome,
  runToCompletion,
} from '../../libs/task-manager/test/contract/helpers.js';
import { keyPatternsOf, redisUrl } from './redis.js';
import { silentLogger } from './redis-port.js';

/** The seeded deployment's tasks. */
export const SEED_TASKS = Array.from({ length: 24 }, (_, i) => encodeTaskId('Seed', `task-${i}`));
export const SEED_DYNAMIC = encodeTaskId('Seed', 'dyn');

/**
 * Seeds a stopped one-partition deployment on `keyPrefix` through the Redis driver: 24 scheduled tasks (4
 * disabled, 6 with a run recorded, half failed), a dynamic task, a declared task set and an orphan note, 4
 * triggers (one with kwargs) of which 3 are published (2 queued on the normal and high streams, 1 delivered to a
 * worker that then died), and no live worker or lease. Returns the tasks of the queued and held runs.
 */
export async function seedDeployment(keyPrefix: string, client: Redis): Promise<{ runs: string[] }> {
  const port = createRedisCoordination(resolveOptions({ redis: redisUrl(), keyPrefix }), 'seed', silentLogger);
  await port.lifecycle.connect();
  try {
    const future = Date.now() + 3_600_000;
    await port.schedule.register(
      SEED_TASKS.map((taskId, i) => ({ taskId, signature: `sig-${i}`, firstSlot: future + i * 1000, dynamic: false })),
    );
    await port.state.setDisabled(SEED_TASKS.slice(0, 4), true);
    const entry = { taskId: SEED_DYNAMIC, signature: 'dyn-sig', firstSlot: future + 99_000, dynamic: true };
    await port.dynamicTasks.create(SEED_DYNAMIC, '{"name":"dyn","kwargs":{"to":"ops"}}', entry);
    await port.taskSets.declare('seed', 'digest-1', [...SEED_TASKS].sort());
    const token = await lead(port, 'seed');
    for (const [i, taskId] of SEED_TASKS.slice(4, 10).entries()) {
      await runToCompletion(port, token, taskId, outcome(i % 2 === 0 ? 'success' : 'failed', 'boom'), BACKOFF);
    }
    await port.state.trigger(SEED_TASKS.slice(10, 13));
    await port.state.trigger([SEED_TASKS[13]], { to: 'ops' });
    // One run delivered to a worker that dies, then two queued (one high priority): three runs in the streams.
    const [held, queued, urgent] = SEED_TASKS.slice(10, 13);
    await publishOneOff(port, token, held, false);
    const delivered = await port.runs.read('dead-worker', 10, 50);
    if (delivered.map((run) => run.taskId).join() !== held) throw new Error('the held run was not delivered');
    await publishOneOff(port, token, queued, false);
    await publishOneOff(port, token, urgent, true);
    await port.leadership.release(token);
    const keys = new TaskManagerKeys(keyPrefix);
    await client.zadd(keys.orphans, Date.now() - 5_000, SEED_TASKS[20]);
    await client.del(keys.workers, keys.workerInfo);
    return { runs: [held, queued, urgent] };
  } finally {
    await port.lifecycle.close();
  }
}

async function publishOneOff(port: CoordinationPort, token: string, taskId: string, highPriority: boolean) {
  const due = await dueOf(port, taskId, Date.now() + 1000, 'oneOff');
  if (!due) throw new Error(`no one-off run of ${taskId}`);
  const { statuses } = await port.schedule.publish(token, Date.now(), [itemFor(due, { highPriority })]);
  if (statuses[0] !== 'published') throw new Error(`${taskId}: ${statuses[0]}`);
}

/** Every key of a key prefix, in any layout: `{prefix}:*` and the partition tags `{{prefix:N…}:*`, sorted. */
export async function keysOf(client: Redis, prefix: string): Promise<string[]> {
  const names = new Set<string>();
  for (const match of keyPatternsOf(prefix)) {
    let cursor = '0';
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      for (const name of found) names.add(name);
      cursor = next;
    } while (cursor !== '0');
  }
  return [...names].sort();
}

/** Deletes every key of a key prefix, in any layout. */
export async function deleteKeysOf(client: Redis, prefix: string): Promise<void> {
  const names = await keysOf(client, prefix);
  if (names.length > 0) await client.del(...names);
}

/** A key prefix's keys as DUMP payloads with their TTLs. */
export type Snapshot = Array<{ key: string; payload: Buffer; ttl: number }>;

export async function snapshotOf(client: Redis, prefix: string): Promise<Snapshot> {
  const snapshot: Snapshot = [];
  for (const key of await keysOf(client, prefix)) {
    const [payload, ttl] = await Promise.all([client.dumpBuffer(key), client.pttl(key)]);
    if (payload) snapshot.push({ key, payload, ttl: Math.max(ttl, 0) });
  }
  return snapshot;
}

/** Puts a key prefix back as a snapshot has it (every other key of it deleted). */
export async function restoreSnapshot(client: Redis, prefix: string, snapshot: Snapshot): Promise<void> {
  await deleteKeysOf(client, prefix);
  for (const { key, payload, ttl } of snapshot) await client.restore(key, ttl, payload, 'REPLACE');
}

/**
 * What a key prefix holds, by key: type, content (a stream: entries and groups; the definitions generation, a
 * fresh token on every write, as "<token>") and whether it expires. Equal for two runs that stored the same.
 */
export async function contentOf(client: Redis, prefix: string): Promise<Record<string, unknown>> {
  const content: Record<string, unknown> = {};
  for (const key of await keysOf(client, prefix)) {
    const type = await client.type(key);
    const expires = (await client.pttl(key)) > 0;
    let value: unknown;
    if (type === 'string') value = key.endsWith(':dynamic-generation') ? '<token>' : await client.get(key);
    else if (type === 'hash') value = Object.entries(await client.hgetall(key)).sort();
    else if (type === 'zset') value = await client.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'set') value = (await client.smembers(key)).sort();
    else if (type === 'stream') {
      const groups = (await client.xinfo('GROUPS', key)) as unknown[][];
      value = {
        entries: await client.xrange(key, '-', '+'),
        groups: groups.map((fields) => fields[fields.indexOf('name') + 1]).sort(),
      };
    }
    content[key] = { type, expires, value };
  }
  return content;
}
