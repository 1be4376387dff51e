/**
 * A dynamic task deleted and created again with a new cron and new kwargs while an instance is paused and
 * misses the change notices (its subscriber connection dropped meanwhile): once it resumes and leads alone,
 * it runs the new definition — never the old cron, never the old kwargs.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskManagerKeys } from 'nestjs-task-manager/testing';
import { apiBaseOf, Cluster, startWithEnv, type WorkerEvent } from '../support/cluster.js';
import { ensureLibraryFresh } from '../support/library-build.js';
import { startRedisServer, waitFor, type RedisServerHandle } from '../support/redis.js';

const PREFIX = 'redefinition';
const OLD_CRON = '*/4 * * * * *'; // seconds 0, 4, 8, …
const NEW_CRON = '2-58/4 * * * * *'; // seconds 2, 6, 10, … (never a slot of the old cron)

async function api(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

const createX = (base: string, cron: string, v: number) =>
  api(base, 'POST', '/tasks', {
    task_group_name: 'Cluster',
    function_name: 'echo',
    cron_expression: cron,
    name: 'x',
    kwargs: { v },
  });

describe('dynamic task redefined while an instance is paused', () => {
  let cluster: Cluster | undefined;
  let server: RedisServerHandle | undefined;
  let redis: Redis | undefined;
  afterEach(async () => {
    redis?.disconnect();
    await cluster?.stop();
    await server?.stop();
  });

  it('the instance that missed the notices runs the new cron and kwargs once it leads', async () => {
    ensureLibraryFresh();
    server = await startRedisServer();
    redis = new Redis(server.url);
    // Long reconciliation: only the leader's own check can bring the paused instance up to date in time.
    cluster = new Cluster({
      redisUrl: server.url,
      prefix: PREFIX,
      options: { leaderHeartbeatInterval: 1, runningHeartbeatInterval: 1, reconciliationInterval: 120 },
    });
    const a = await startWithEnv(cluster, { HTTP_PORT: '0' });
    await cluster.waitForLeader();
    const b = await startWithEnv(cluster, { HTTP_PORT: '0' });
    await createX(apiBaseOf(a), OLD_CRON, 1);
    await waitFor(async () => ((await api(apiBaseOf(b), 'GET', '/tasks?name=x')) as unknown[]).length === 1);

    // b pauses, and its subscriber connection is dropped: it will not hear of the delete and the create.
    b.signal('SIGSTOP');
    const channel = new TaskManagerKeys(PREFIX).events;
    await redis.client('KILL', 'TYPE', 'pubsub');
    await waitFor(async () => Number(((await redis!.pubsub('NUMSUB', channel)) as [string, number])[1]) === 1, {
      message: 'the running instance subscribed again',
    });
    await api(apiBaseOf(a), 'DELETE', '/tasks?task_group_name=Cluster&task_name=x');
    await createX(apiBaseOf(a), NEW_CRON, 2);
    const redefinedAt = Date.now();

    // a goes away; b resumes, alone, and leads.
    a.signal('SIGKILL');
    b.signal('SIGCONT');
    await cluster.waitForLeader(15_000, a);
    await waitFor(() => runsOfX(cluster!, b.pid, redefinedAt).length >= 3, { timeoutMs: 15_000, message: 'runs of x' });

    const runs = runsOfX(cluster, b.pid, redefinedAt);
    expect(runs.map((r) => (r.slot! / 1000) % 4)).toEqual(runs.map(() => 2));
    expect(runs.map((r) => r.kwargs)).toEqual(runs.map(() => ({ v: 2 })));
    expect(cluster.ofType('unhandledRejection')).toEqual([]);
  }, 60_000);
});

function runsOfX(cluster: Cluster, pid: number, after: number): Array<WorkerEvent & { kwargs?: unknown }> {
  return cluster.events.filter((e) => e.type === 'run' && e.task === 'x' && e.pid === pid && e.slot! > after);
}
