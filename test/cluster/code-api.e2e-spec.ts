/**
 * Issue 16's acceptance, with two real instances on one Redis: instance A is this test's Nest application
 * (API-only: `autoStart: false`, so that every run happens on the other instance), managing dynamic tasks from
 * code through `TaskManagerService`; instance B is a real application process (test/fixtures/cluster-worker.mjs
 * in HTTP mode). A task created, updated and deleted from code on A is listed, runs and stops on B within a
 * second; a trigger with kwargs from A runs once on B with those kwargs and is recorded as a manual run.
 */
import { Injectable } from '@nestjs/common';
import { RegisterFunction, TaskGroup } from 'nestjs-task-manager';
import { apiBaseOf, Cluster, startWithEnv, type WorkerEvent, type WorkerProcess } from '../support/cluster.js';
import { ensureLibraryFresh } from '../support/library-build.js';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from '../support/redis.js';
import { sleep, startTaskApp, type TaskApp } from '../support/task-app.js';

const NEVER = '0 0 1 1 *';

/** The fixture's group as instance A declares it: the same function, never run here (A runs no engine). */
@TaskGroup({ name: 'Cluster' })
@Injectable()
class ClusterFunctions {
  @RegisterFunction('echo')
  echo(): void {
    throw new Error('instance A runs no engine: this never runs');
  }
}

interface Listed {
  name: string;
  kwargs: unknown;
  description: string | null;
  is_active: boolean;
}

async function get(worker: WorkerProcess, path: string) {
  const res = await fetch(`${apiBaseOf(worker)}${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as any;
}

describe('tasks managed from code on one instance, run by another (issue 16 acceptance)', () => {
  const prefix = uniquePrefix('code-cluster');
  let cluster: Cluster;
  let a: TaskApp | undefined;
  let b: WorkerProcess;

  beforeAll(async () => {
    ensureLibraryFresh();
    cluster = new Cluster({ redisUrl: redisUrl(), prefix });
    b = await startWithEnv(cluster, { HTTP_PORT: '0' });
    await cluster.waitForLeader();
    a = await startTaskApp({ groups: [ClusterFunctions], prefix, options: { autoStart: false } });
  }, 180_000);
  afterAll(async () => {
    await a?.close();
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  const listedOnB = async (name: string): Promise<Listed | undefined> =>
    ((await get(b, '/tasks?task_group_name=Cluster')) as Listed[]).find((t) => t.name === name);
  const runsOnB = (task: string, after = 0) =>
    cluster.ofType('run').filter((e) => e.task === task && e.t > after) as Array<WorkerEvent & { kwargs?: unknown }>;
  /** Waits until `check` holds on B; returns how long it took from `since`. */
  const within = async (since: number, check: () => Promise<boolean>, message: string) => {
    await waitFor(check, { timeoutMs: 5000, intervalMs: 20, message });
    return Date.now() - since;
  };

  it('created, updated and deleted from code on A: listed, run and stopped on B within a second', async () => {
    const service = a!.service;
    const createdAt = Date.now();
    await service.createDynamicTask({
      groupName: 'Cluster',
      functionName: 'echo',
      cronExpression: '* * * * * *',
      name: 'from_code',
      kwargs: { v: 1 },
    });
    const listedAfter = await within(createdAt, async () => (await listedOnB('from_code')) !== undefined, 'B lists it');
    await waitFor(() => runsOnB('from_code').length > 0, { timeoutMs: 5000, message: 'B runs it' });
    const ranAfter = runsOnB('from_code')[0].t - createdAt;
    console.log(`created from code: listed by B after ${listedAfter} ms, run by B after ${ranAfter} ms`);
    expect(listedAfter).toBeLessThan(1000);
    // A per-second task: its first slot is at most a second away.
    expect(ranAfter).toBeLessThan(2000);
    expect(runsOnB('from_code')[0].kwargs).toEqual({ v: 1 });

    // Updated from code: B lists and runs the new definition within a second.
    const updatedAt = Date.now();
    await service.updateDynamicTask('Cluster', 'from_code', { kwargs: { v: 2 }, description: 'updated' });
    const updateListedAfter = await within(
      updatedAt,
      async () => (await listedOnB('from_code'))?.description === 'updated',
      'B lists the update',
    );
    console.log(`updated from code: listed by B after ${updateListedAfter} ms`);
    expect(updateListedAfter).toBeLessThan(1000);
    expect(await listedOnB('from_code')).toMatchObject({ kwargs: { v: 2 }, is_active: true });
    await waitFor(() => runsOnB('from_code', updatedAt + 1000).length >= 2, {
      timeoutMs: 5000,
      message: 'runs after the update',
    });
    expect(runsOnB('from_code', updatedAt + 1000).map((r) => r.kwargs)).toEqual(
      runsOnB('from_code', updatedAt + 1000).map(() => ({ v: 2 })),
    );

    // Paused from code (enabled: false): B lists it inactive and stops running it.
    const pausedAt = Date.now();
    await service.updateDynamicTask('Cluster', 'from_code', { enabled: false });
    expect(
      await within(pausedAt, async () => (await listedOnB('from_code'))?.is_active === false, 'paused'),
    ).toBeLessThan(1000);
    await sleep(2500);
    expect(runsOnB('from_code', pausedAt + 1500)).toEqual([]);
    await service.updateDynamicTask('Cluster', 'from_code', { enabled: true });
    const resumedAt = Date.now();
    await waitFor(() => runsOnB('from_code', resumedAt).length > 0, { timeoutMs: 3000, message: 'runs again' });

    // Deleted from code: B forgets it within a second and never starts it again.
    const deletedAt = Date.now();
    await service.deleteDynamicTask('Cluster', 'from_code');
    const goneAfter = await within(deletedAt, async () => (await listedOnB('from_code')) === undefined, 'B forgets it');
    console.log(`deleted from code: gone from B after ${goneAfter} ms`);
    expect(goneAfter).toBeLessThan(1000);
    await sleep(3000);
    expect(runsOnB('from_code', deletedAt + 1000)).toEqual([]);
  });

  it('a trigger with kwargs from code on A runs once on B with them, recorded as a manual run', async () => {
    const service = a!.service;
    await service.createDynamicTask({
      groupName: 'Cluster',
      functionName: 'echo',
      cronExpression: NEVER,
      name: 'on_demand',
      kwargs: { own: true },
    });
    await waitFor(async () => (await listedOnB('on_demand')) !== undefined, { timeoutMs: 2000, message: 'listed' });
    const triggeredAt = Date.now();
    expect(await service.trigger({ groupName: 'Cluster', name: 'on_demand' }, { kwargs: { to: 'ops' } })).toEqual([
      { groupName: 'Cluster', taskName: 'on_demand' },
    ]);
    await waitFor(() => runsOnB('on_demand').length > 0, { timeoutMs: 3000, message: 'the triggered run' });
    console.log(`triggered with kwargs from code: run by B after ${runsOnB('on_demand')[0].t - triggeredAt} ms`);
    await sleep(1500);
    expect(runsOnB('on_demand').map((r) => r.kwargs)).toEqual([{ to: 'ops' }]);

    await waitFor(async () => (await service.getRunHistory('Cluster', 'on_demand')).length === 1, {
      message: 'recorded',
    });
    const [record] = await service.getRunHistory('Cluster', 'on_demand');
    expect(record).toMatchObject({ kind: 'trigger', attempt: 1, status: 'success', kwargs: { to: 'ops' } });
    expect(record.workerId).toBe(b.workerId);
    const statistics = await get(b, '/tasks/Cluster/on_demand/statistics');
    expect(statistics.runs).toEqual([
      expect.objectContaining({ kind: 'trigger', attempt: 1, kwargs: { to: 'ops' }, error_stack: null }),
    ]);
  });
});
