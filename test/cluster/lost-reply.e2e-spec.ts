/**
 * A reply lost with its connection: the XREADGROUP that delivered a batch of runs executed on the server,
 * the connection dropped before the reply arrived, ioredis reconnected. The batch sits in this consumer's
 * pending list; it must still run (the consumer re-reads its pending runs after a reconnection; the
 * leader's sweep is the net behind). Issue 10 item 2.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskManagerKeys } from 'nestjs-task-manager/testing';
import { Cluster } from '../support/cluster.js';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from '../support/redis.js';

const TASKS = 4;

describe('a lost XREADGROUP reply', () => {
  const prefix = uniquePrefix('lostreply');
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  it('does not strand the delivered runs: every task keeps running, nothing stays pending', async () => {
    cluster = new Cluster({
      redisUrl: redisUrl(),
      prefix,
      tasks: TASKS,
      taskMs: 50,
      // allowParallel false: a stranded run would block its task for ever.
      options: { runningHeartbeatInterval: 1, leaderHeartbeatInterval: 1, allowParallel: false },
    });
    const worker = await cluster.start({ proxy: true });
    await cluster.waitForLeader();
    await waitFor(() => cluster!.ofType('end').length >= TASKS, { timeoutMs: 10_000 });
    const swallowed = await worker.proxy!.swallowNextReply(/^XREADGROUP$/);
    expect(swallowed.command).toBe('XREADGROUP');
    const lostAt = Date.now();
    // Within a few seconds every task runs again, slot after slot.
    await waitFor(
      () => {
        for (let i = 1; i <= TASKS; i++) {
          const later = cluster!.ofType('end').filter((e) => e.task === `t-${i}` && e.real > lostAt + 3000);
          if (later.length < 2) return false;
        }
        return true;
      },
      { timeoutMs: 10_000, message: 'every task running again' },
    );
    const redis = new Redis(redisUrl());
    try {
      const keys = new TaskManagerKeys(prefix);
      const pending = (await redis.xpending(keys.streamNormal, 'nest-task-manager', '-', '+', 100)) as Array<
        [string, string, number, number]
      >;
      // Nothing left behind: only runs just delivered are pending.
      expect(pending.filter(([, , idle]) => idle > 2000)).toEqual([]);
    } finally {
      redis.disconnect();
    }
    expect(cluster.ofType('unhandledRejection')).toEqual([]);
  }, 60_000);
});
