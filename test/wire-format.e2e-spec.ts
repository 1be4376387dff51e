/**
 * The Lua scripts write the wire formats exactly as the TypeScript codecs of src/wire/ do (and as the
 * previous versions did: data in Redis stays readable across an upgrade): the run tag in `inflight` /
 * `running_by`, the one-off queue entries (requeue, retry, trigger), the run message fields, the leader
 * token, the server time.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { CoordinationPort } from '../libs/task-manager/src/engine/coordination.port.js';
import { resolveOptions } from '../libs/task-manager/src/options/resolve-options.js';
import { createRedisCoordination } from '../libs/task-manager/src/redis/redis-coordination.js';
import { TaskManagerKeys } from '../libs/task-manager/src/redis/task-manager-keys.js';
import { leaderToken, parseLeaderToken } from '../libs/task-manager/src/wire/leader-token.js';
import { decodeOneOffEntry, encodeOneOffEntry } from '../libs/task-manager/src/wire/one-off-entry.js';
import { runFromFields } from '../libs/task-manager/src/wire/run-message.codec.js';
import { runTag } from '../libs/task-manager/src/wire/run-tag.js';
import { serverTimeMs } from '../libs/task-manager/src/wire/server-time.js';
import { triggerSlot } from '../libs/task-manager/src/wire/trigger-slot.js';
import { BACKOFF, deliver, outcome, startOne, worker } from '../libs/task-manager/test/contract/helpers.js';
import { cleanupPrefix, redisUrl, uniquePrefix } from './support/redis.js';
import { silentLogger } from './support/redis-port.js';

describe('wire formats written by the Lua scripts = the TypeScript codecs', () => {
  let prefix: string;
  let keys: TaskManagerKeys;
  let port: CoordinationPort;
  let client: Redis;

  beforeEach(async () => {
    prefix = uniquePrefix('wire');
    keys = new TaskManagerKeys(prefix);
    port = createRedisCoordination(resolveOptions({ redis: redisUrl(), keyPrefix: prefix }), 'w-main', silentLogger);
    await port.lifecycle.connect();
    client = new Redis(redisUrl());
  });

  afterEach(async () => {
    await port.lifecycle.close();
    client.disconnect();
    await cleanupPrefix(prefix);
  });

  const oneOffMembers = () => client.zrange(keys.oneOff, 0, -1);

  async function leadAs(workerId: string): Promise<string> {
    const result = await port.leadership.acquire(workerId, 30_000);
    if (!('token' in result)) throw new Error('not leader');
    expect(result.token).toBe(leaderToken(workerId, result.epoch));
    expect(await client.get(keys.leader)).toBe(result.token);
    expect(parseLeaderToken(result.token)).toEqual({ workerId, epoch: result.epoch });
    return result.token;
  }

  it('run tag in inflight / running_by; run message fields; one-off entry of a requeue', async () => {
    const token = await leadAs('leader|with-bar');
    for (const highPriority of [true, false]) {
      const taskId = `g/${highPriority ? 'high' : 'normal'}`;
      const run = await deliver(port, token, taskId, 'c1', {
        allowParallel: false,
        highPriority,
        attempt: 2,
        kind: 'retry',
      });
      expect(await client.hget(keys.taskState(taskId), 'inflight')).toBe(runTag(highPriority, run.messageId));
      expect(await startOne(port, 'c1', run, { allowParallel: false })).toBe('start');
      expect(await client.hget(keys.taskState(taskId), 'running_by')).toBe(runTag(highPriority, run.messageId));

      const [[id, fields]] = await client.xrange(keys.stream(highPriority), run.messageId, run.messageId);
      expect(fields.filter((_, i) => i % 2 === 0)).toEqual(['t', 's', 'a', 'k', 'g']);
      // (Its start set this worker's lease limit on it: not part of the message.)
      expect(runFromFields(id, highPriority, fields)).toEqual({ ...run, leaseUntil: undefined });

      await port.runs.requeue(run, 60_000);
      const entry = { taskId, slot: run.slot, attempt: 2, kind: 'retry' as const };
      const members = await oneOffMembers();
      expect(members).toContain(encodeOneOffEntry(entry));
      expect(members.map(decodeOneOffEntry)).toContainEqual(entry);
    }
  });

  it('one-off entries of a retry and of a trigger', async () => {
    const token = await leadAs('leader');
    const run = await deliver(port, token, 'g/fails', 'c1');
    expect(await startOne(port, 'c1', run)).toBe('start');
    await port.runs.complete('c1', run, outcome('failed', 'boom'), { ...BACKOFF, maxAttempts: 3 });
    expect(await oneOffMembers()).toEqual([
      encodeOneOffEntry({ taskId: 'g/fails', slot: run.slot, attempt: 2, kind: 'retry' }),
    ]);

    await client.del(keys.oneOff);
    const odd = 'g/"quoted"\\\x7f\n\u0001é';
    await port.state.trigger([odd]);
    const [member, score] = await client.zrange(keys.oneOff, 0, -1, 'WITHSCORES');
    expect(member).toBe(encodeOneOffEntry({ taskId: odd, slot: Number(score), attempt: 1, kind: 'trigger' }));

    // A trigger with kwargs: the 5th element, as the codec writes it (cjson escapes `/` in the text too).
    await client.del(keys.oneOff);
    const kwargs = { to: 'a/b', q: '"x"', n: [1, { m: null }] };
    await port.state.trigger(['g/t'], kwargs);
    const [withKwargs, at] = await client.zrange(keys.oneOff, 0, -1, 'WITHSCORES');
    expect(withKwargs).toBe(
      encodeOneOffEntry({ taskId: 'g/t', slot: Number(at), attempt: 1, kind: 'trigger', kwargs }),
    );
  });

  it('trigger slot: includes/trigger-slot.lua = triggerSlot (a trigger on a whole second is never a cron slot)', async () => {
    const source = readFileSync(
      new URL('../libs/task-manager/src/redis/lua/includes/trigger-slot.lua', import.meta.url),
      'utf8',
    );
    for (const ms of [1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_999, 1000]) {
      const scripted = await client.eval(`${source}\nreturn triggerSlot(tonumber(ARGV[1]))`, 0, ms);
      expect([ms, scripted]).toEqual([ms, triggerSlot(ms)]);
    }
  });

  it('server time: the ms of a script (includes/server-time.lua) = serverTimeMs of TIME', async () => {
    const before = serverTimeMs(await client.time());
    const scripted = await port.workers.announce(worker('w-1'));
    const after = serverTimeMs(await client.time());
    expect(scripted).toBeGreaterThanOrEqual(before);
    expect(scripted).toBeLessThanOrEqual(after);
  });
});
