/**
 * ioredis re-sends the commands still waiting for a reply when a connection drops and comes back quickly
 * (`autoResendUnfulfilledCommands`). A script that ran on the server but whose reply was lost therefore runs
 * twice. Creating and deleting a dynamic task would answer "exists" (409) / "not found" (404) for an
 * operation that succeeded, a trigger would queue two runs, the hand-back of a wiped run would publish it
 * twice, and an acquisition of the leader lease would be reported refused. Those scripts carry a request id
 * (or recognise their own lease), so a second run answers what the first did. Issue 10, open item "ioredis
 * re-sends in-flight commands after a quick reconnect", confirmed with the proxy below.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CoordinationPort } from '../../libs/task-manager/src/engine/coordination.port.js';
import { resolveOptions } from '../../libs/task-manager/src/options/resolve-options.js';
import { createRedisCoordination } from '../../libs/task-manager/src/redis/redis-coordination.js';
import { TaskManagerKeys } from '../../libs/task-manager/src/redis/task-manager-keys.js';
import { startTcpProxy, type TcpProxy } from '../../tools/faults/tcp-proxy.mjs';
import { cleanupPrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { deliver, lead, readRuns } from '../../libs/task-manager/test/contract/helpers.js';
import { silentLogger } from '../support/redis-port.js';

const entry = (taskId: string) => ({
  taskId,
  signature: '* * * * *|UTC',
  firstSlot: Date.now() + 60_000,
  dynamic: true,
});

describe('a script whose reply is lost with its connection (ioredis re-sends it)', () => {
  const prefix = uniquePrefix('resend');
  const keys = new TaskManagerKeys(prefix);
  let proxy: TcpProxy | undefined;
  let port: CoordinationPort | undefined;
  afterEach(async () => {
    await port?.lifecycle.close();
    await proxy?.close();
    await cleanupPrefix(prefix);
  });

  /** A driver connected through a proxy. Each test first runs the script it swallows a reply of once, so that
   * the swallowed reply is its result (EVALSHA), not NOSCRIPT. */
  async function connect(): Promise<CoordinationPort> {
    proxy = await startTcpProxy(redisUrl());
    port = createRedisCoordination(
      resolveOptions({ redis: proxy.urlFor(redisUrl()), keyPrefix: prefix }),
      'w',
      silentLogger,
    );
    await port.lifecycle.connect();
    return port;
  }

  async function warmUpDynamicScripts(coordination: CoordinationPort): Promise<void> {
    await coordination.dynamicTasks.create('g/warm-up', '{}', entry('g/warm-up'));
    await coordination.dynamicTasks.remove('g/warm-up');
  }

  /** Requests of the create / delete scripts (recognised by their keys). */
  const createRequest = new RegExp(`${escape(keys.dynamic)}\\r\\n\\$\\d+\\r\\n${escape(keys.schedule)}`);
  const deleteRequest = new RegExp(
    `${escape(keys.schedule)}\\r\\n\\$\\d+\\r\\n${escape(keys.signatures)}\\r\\n\\$\\d+\\r\\n${escape(keys.taskStatePrefix)}`,
  );

  it('creating a dynamic task reports it created, although the script ran twice', async () => {
    const coordination = await connect();
    await warmUpDynamicScripts(coordination);
    const swallowed = proxy!.swallowNextReply(createRequest, { onRequest: true });
    expect(await coordination.dynamicTasks.create('g/t', '{"v":1}', entry('g/t'))).toBe('created');
    await swallowed;
    expect((await coordination.dynamicTasks.loadAll()).tasks.map((d) => d.taskId)).toEqual(['g/t']);
    // A second, distinct request for the same task is refused as before.
    expect(await coordination.dynamicTasks.create('g/t', '{"v":1}', entry('g/t'))).toBe('exists');
  });

  it('deleting a dynamic task returns its definition, although the script ran twice', async () => {
    const coordination = await connect();
    await warmUpDynamicScripts(coordination);
    await coordination.dynamicTasks.create('g/t', '{"v":1}', entry('g/t'));
    const swallowed = proxy!.swallowNextReply(deleteRequest, { onRequest: true });
    expect(await coordination.dynamicTasks.remove('g/t')).toBe('{"v":1}');
    await swallowed;
    expect((await coordination.dynamicTasks.loadAll()).tasks).toEqual([]);
    expect(await coordination.dynamicTasks.remove('g/t')).toBeNull();
  });

  it('a trigger queues one run, although the script ran twice', async () => {
    const coordination = await connect();
    await coordination.state.trigger(['g/warm-up']);
    const swallowed = proxy!.swallowNextReply(
      new RegExp(
        `^\\*\\d+\\r\\n\\$7\\r\\nevalsha\\r\\n\\$40\\r\\n\\w+\\r\\n\\$1\\r\\n1\\r\\n\\$\\d+\\r\\n${escape(keys.oneOff)}`,
        'i',
      ),
      { onRequest: true },
    );
    await coordination.state.trigger(['g/t']);
    await swallowed;
    const due = await coordination.schedule.fetchDue(Date.now() + 1000, 100);
    expect(due.filter((d) => d.taskId === 'g/t')).toHaveLength(1);
  });

  it('acquiring the leader lease reports it acquired, although the script ran twice', async () => {
    const coordination = await connect();
    const warm = await coordination.leadership.acquire('warm-up', 100);
    expect(warm).toHaveProperty('token');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const swallowed = proxy!.swallowNextReply(
      new RegExp(`${escape(keys.leader)}\\r\\n\\$\\d+\\r\\n${escape(keys.epoch)}`),
      { onRequest: true },
    );
    const acquired = await coordination.leadership.acquire('w', 30_000);
    await swallowed;
    expect(acquired).toMatchObject({ token: expect.stringMatching(/^w\|/) });
    const token = 'token' in acquired ? acquired.token : '';
    expect((await coordination.leadership.renew(token, 30_000)).renewed).toBe(true);
  });

  it('handing back a run whose data was wiped publishes it once, although the script ran twice', async () => {
    const coordination = await connect();
    const token = await lead(coordination);
    const run = await deliver(coordination, token, 'g/t', 'c1');
    // (Loads the script: a run not held here is not handed back.)
    expect(await coordination.runs.handBack('c1', [{ ...run, messageId: '1-0', generation: '' }], 30_000)).toEqual([
      false,
    ]);
    await cleanupPrefix(prefix);
    await coordination.schedule.ensureGroups();
    const swallowed = proxy!.swallowNextReply(
      new RegExp(
        `${escape(keys.streamNormal)}\\r\\n\\$\\d+\\r\\n${escape(keys.generation)}\\r\\n\\$\\d+\\r\\n[\\w.-]+\\r\\n\\$2\\r\\nc1`,
      ),
      { onRequest: true },
    );
    expect(await coordination.runs.handBack('c1', [run], 30_000)).toEqual([true]);
    await swallowed;
    expect((await readRuns(coordination, 'c2')).map((r) => r.taskId)).toEqual(['g/t']);
  });
});

/** Escapes a string for a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
