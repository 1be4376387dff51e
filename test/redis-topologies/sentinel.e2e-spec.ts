import { Injectable } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';
import { TaskManagerKeys } from 'nestjs-task-manager/testing';
import {
  startRedisSentinel,
  topologyToolsMissing,
  type RedisProcess,
  type RedisSentinelHandle,
} from '../support/redis-topologies.js';
import { uniquePrefix, waitFor } from '../support/redis.js';
import { RunLog, sleep, startTaskApp, untilNextSecond, type TaskApp } from '../support/task-app.js';

const missing = topologyToolsMissing();
if (missing) console.warn(`[redis-topologies] Redis Sentinel tests skipped: ${missing}`);

@TaskGroup({ name: 'Sentineled' })
@Injectable()
class SentineledTasks {
  constructor(private readonly log: RunLog) {}

  @Task('* * * * * *', { name: 'every_second' })
  everySecond(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

describe.skipIf(missing !== undefined)(
  `Redis Sentinel: 1 master, 1 replica, 3 sentinels on loopback${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let topology: RedisSentinelHandle | undefined;
    const apps: TaskApp[] = [];

    beforeAll(async () => {
      topology = await startRedisSentinel();
    }, 30_000);

    afterAll(async () => {
      await Promise.all(apps.map((app) => app.close()));
      await topology?.stop();
    }, 30_000);

    /** Slots of the per-second task executed by any instance. */
    const slots = () => apps.flatMap((app) => app.log.of('every_second').map((r) => r.slot));

    /** Checks that every slot of ]from, to] ran exactly once. */
    const expectOncePerSlot = (from: number, to: number) => {
      const inWindow = slots().filter((slot) => slot > from && slot <= to);
      const expected: number[] = [];
      for (let slot = Math.floor(from / 1000) * 1000 + 1000; slot <= to; slot += 1000) expected.push(slot);
      expect(expected.length).toBeGreaterThanOrEqual(2);
      expect(inWindow.sort((a, b) => a - b)).toEqual(expected);
    };

    /** How many connections of the engine (named `nest-task-manager:<role>`) a server has. */
    const engineConnections = async (server: RedisProcess) => {
      const list = (await server.use((c) => c.client('LIST'))) as string;
      return (list.match(/ name=nest-task-manager:/g) ?? []).length;
    };

    /** Waits until a slot after `since` has run, i.e. scheduling resumed, and returns when it did. */
    const resumedAfter = async (since: number) => {
      await waitFor(() => slots().some((slot) => slot > since), {
        timeoutMs: 20_000,
        message: `a run of a slot after ${new Date(since).toISOString()}`,
      });
      return Date.now();
    };

    it('runs the per-second task through Sentinel, and resumes after a manual failover and after the master is killed', async () => {
      const [first, second] = topology!.servers;
      const t0 = Date.now();
      const phase = (label: string) => console.log(`[sentinel] ${label} at +${Date.now() - t0} ms`);
      await topology!.waitForSteadyState(second);
      phase('sentinels ready');
      const prefix = uniquePrefix('rsentinel');
      const keys = new TaskManagerKeys(prefix);
      const options = {
        redis: { sentinels: topology!.sentinels, name: topology!.name },
        leaderHeartbeatInterval: 1,
        runningHeartbeatInterval: 1,
      };
      for (let i = 0; i < 2; i++) apps.push(await startTaskApp({ groups: [SentineledTasks], prefix, options }));

      // 1. Steady state through Sentinel.
      await untilNextSecond(300);
      let from = Date.now();
      await sleep(3_000);
      expectOncePerSlot(from, Date.now() - 500);

      // 2. Manual failover (SENTINEL FAILOVER): the replica is promoted, the old master demoted, clients kicked.
      const manualAt = Date.now();
      await topology!.sentinelProcesses[0].use((c) => c.call('SENTINEL', 'FAILOVER', topology!.name));
      await topology!.waitForMaster(second);
      // The promoted replica holds the deployment's data.
      expect(await second.use((c) => c.zcard(keys.schedule))).toBe(1);
      // Every connection of both instances (command, blocking, subscriber) follows at once: the old master stays
      // a writable master until Sentinel demotes it seconds later, and writes made there would be lost.
      await waitFor(async () => (await engineConnections(second)) === 6 && (await engineConnections(first)) === 0, {
        timeoutMs: 5_000,
        message: 'the 6 engine connections on the new master, none left on the old one',
      });
      phase('connections moved');
      const manualResumed = await resumedAfter(Date.now());
      phase(`manual failover: runs resumed ${manualResumed - manualAt} ms after SENTINEL FAILOVER`);
      await untilNextSecond(300);
      from = Date.now();
      await sleep(3_000);
      expectOncePerSlot(from, Date.now() - 500);
      for (const app of apps) expect(app.service.health().status).toBe('healthy');

      // 3. Crash: the new master is killed; the sentinels agree it is down and promote the old one (now a replica).
      await topology!.waitForSteadyState(first);
      const killedAt = Date.now();
      second.kill('SIGKILL');
      await topology!.waitForMaster(first);
      const promotedAt = Date.now();
      expect(await first.use((c) => c.zcard(keys.schedule))).toBe(1);
      const crashResumed = await resumedAfter(promotedAt);
      phase(
        `master killed: promoted after ${promotedAt - killedAt} ms, runs resumed ${crashResumed - killedAt} ms after it`,
      );
      await untilNextSecond(300);
      from = Date.now();
      await sleep(3_000);
      expectOncePerSlot(from, Date.now() - 500);
      await waitFor(() => apps.every((app) => app.service.health().status === 'healthy'), { timeoutMs: 5_000 });
      expect(await engineConnections(first)).toBe(6);

      // Closing leaves nothing behind: no connection on the master, no failover subscription on the sentinels.
      await Promise.all(apps.splice(0).map((app) => app.close()));
      await waitFor(
        async () => {
          if ((await engineConnections(first)) > 0) return false;
          for (const sentinel of topology!.sentinelProcesses) {
            const list = (await sentinel.use((c) => c.client('LIST'))) as string;
            if (/ sub=[1-9]/.test(list)) return false;
          }
          return true;
        },
        { timeoutMs: 3_000, message: 'no engine connection left on the master or the sentinels' },
      );
      phase('end');
    }, 90_000);
  },
);
