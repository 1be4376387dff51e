/**
 * `waitForReplicas`: after publishing runs and after recording an outcome, wait (WAIT) until that many
 * replicas acknowledged the write, so that a failover to a replica does not lose it (Redis replication is
 * asynchronous: an acknowledged write can be lost when the master dies before its replica got it). A master
 * and one replica started by the test. Issue 10, open item "Sentinel/replica failover can lose acknowledged
 * writes".
 */
import { Injectable, type LoggerService } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';
import { RedisProcess } from '../support/redis-topologies.js';
import { dataNodeArgs, findRedisServer, freePort, waitFor } from '../support/redis.js';
import { RunLog, sleep, startTaskApp, type TaskApp } from '../support/task-app.js';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

@TaskGroup({ name: 'Replicated' })
@Injectable()
class ReplicatedTasks {
  constructor(private readonly log: RunLog) {}

  @Task('* * * * * *', { name: 'every_second' })
  everySecond(kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  }
}

/** Calls of a command on a server (INFO commandstats). */
async function calls(server: RedisProcess, command: string): Promise<number> {
  const info = await server.use((c) => c.info('commandstats'));
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

describe.skipIf(!findRedisServer())('waitForReplicas (a master and a replica started by the test)', () => {
  let master: RedisProcess | undefined;
  let replica: RedisProcess | undefined;
  let app: TaskApp | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    replica?.kill('SIGCONT');
    await app?.close();
    await replica?.stop();
    await master?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('waits for the replica after each publish and completion, and warns (without stalling) when it lags', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ntm-replica-'));
    for (const node of ['master', 'replica']) mkdirSync(join(dir, node));
    const masterPort = await freePort();
    master = await new RedisProcess(masterPort, dataNodeArgs(masterPort, join(dir, 'master')), 'master').start();
    const replicaPort = await freePort();
    replica = await new RedisProcess(
      replicaPort,
      [...dataNodeArgs(replicaPort, join(dir, 'replica')), '--replicaof', '127.0.0.1', String(masterPort)],
      'replica',
    ).start();
    await waitFor(async () => /master_link_status:up/.test(await replica!.use((c) => c.info('replication'))), {
      timeoutMs: 10_000,
    });
    const warnings: string[] = [];
    const logger: LoggerService = {
      log: () => undefined,
      error: () => undefined,
      warn: (m: string) => warnings.push(m),
    };
    app = await startTaskApp({
      groups: [ReplicatedTasks],
      label: 'replica-wait',
      options: {
        redis: master.url,
        waitForReplicas: 1,
        waitForReplicasTimeoutMs: 300,
        leaderHeartbeatInterval: 1,
        runningHeartbeatInterval: 1,
        logger,
      },
    });
    await waitFor(() => app!.log.of('every_second').length >= 3, { timeoutMs: 10_000 });
    // One WAIT per publish and per completion, each acknowledged by the replica.
    expect(await calls(master, 'wait')).toBeGreaterThanOrEqual(5);
    expect(warnings.filter((w) => /replica/.test(w))).toEqual([]);
    // The replica stops acknowledging: every write waits up to the timeout, warns, and the runs go on.
    replica.kill('SIGSTOP');
    const frozenAt = Date.now();
    await sleep(3500);
    expect(app.log.of('every_second').filter((r) => r.startedAt > frozenAt + 500).length).toBeGreaterThanOrEqual(2);
    expect(warnings.some((w) => /acknowledged by 0 of 1 replica/.test(w))).toBe(true);
  }, 60_000);
});
