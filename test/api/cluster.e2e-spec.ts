/**
 * Dynamic tasks through the management API of real application processes (test/fixtures/cluster-worker.mjs
 * in HTTP mode): created through instance A, a task runs and is listed by instance B within a second;
 * deleted through B, it never starts again anywhere; after a restart of every instance, dynamic tasks come
 * back, and one whose function no longer exists is skipped with one warning and is not listed.
 */
import { apiBaseOf, Cluster, startWithEnv, type WorkerProcess } from '../support/cluster.js';
import { ensureLibraryFresh } from '../support/library-build.js';
import { cleanupPrefix, redisUrl, uniquePrefix, waitFor } from '../support/redis.js';
import { sleep } from '../support/task-app.js';

const NEVER = '0 0 1 1 *';

interface Listed {
  name: string;
  dynamic: boolean;
  function_name: string | null;
  kwargs: unknown;
}

async function call(worker: WorkerProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(`${apiBaseOf(worker)}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const tasksOf = async (worker: WorkerProcess): Promise<Listed[]> => (await call(worker, 'GET', '/tasks')).body;
const names = async (worker: WorkerProcess) => (await tasksOf(worker)).map((t) => t.name).sort();

describe('dynamic tasks across real instances (HTTP API)', () => {
  const prefix = uniquePrefix('api-cluster');
  let cluster: Cluster;

  beforeAll(() => {
    ensureLibraryFresh();
    cluster = new Cluster({ redisUrl: redisUrl(), prefix });
  }, 180_000);
  afterAll(async () => {
    await cluster?.stop();
    await cleanupPrefix(prefix);
  });

  const runsOf = (task: string, after = 0) =>
    cluster.ofType('run').filter((e) => e.task === task && e.t > after) as Array<{
      t: number;
      kwargs?: unknown;
      worker?: string;
    }>;

  it('create on A: runs, and B lists it within 1 s; delete on B: never starts again; restart: it comes back', async () => {
    const [a, b] = await Promise.all([
      startWithEnv(cluster, { HTTP_PORT: '0', FUNCTIONS: 'gone' }),
      startWithEnv(cluster, { HTTP_PORT: '0', FUNCTIONS: 'gone' }),
    ]);
    await cluster.waitForLeader();

    // Create through A; B lists it within a second.
    const created = await call(a, 'POST', '/tasks', {
      task_group_name: 'Cluster',
      function_name: 'echo',
      cron_expression: '* * * * * *',
      name: 'dyn',
      kwargs: { n: 1 },
    });
    expect(created).toEqual({
      status: 200,
      body: {
        task_group_name: 'Cluster',
        task_name: 'dyn',
        function_name: 'echo',
        cron_expression: '* * * * * *',
        kwargs: { n: 1 },
        dynamic: true,
        time_zone: 'UTC',
      },
    });
    const createdAt = Date.now();
    await waitFor(async () => (await names(b)).includes('dyn'), {
      timeoutMs: 5000,
      intervalMs: 20,
      message: 'B lists dyn',
    });
    const listedAfterMs = Date.now() - createdAt;
    console.log(`dynamic task listed by the other instance after ${listedAfterMs} ms`);
    expect(listedAfterMs).toBeLessThan(1000);
    expect((await tasksOf(b)).find((t) => t.name === 'dyn')).toMatchObject({
      dynamic: true,
      function_name: 'echo',
      kwargs: { n: 1 },
    });

    // It runs, on any instance, with its kwargs.
    await waitFor(() => runsOf('dyn').length >= 2, { timeoutMs: 8000, message: 'runs of dyn' });
    expect(runsOf('dyn')[0].kwargs).toEqual({ n: 1 });

    // Two more through B: one from a function that will disappear.
    expect(
      (
        await call(b, 'POST', '/tasks', {
          task_group_name: 'Cluster',
          function_name: 'echo',
          cron_expression: NEVER,
          name: 'kept',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call(b, 'POST', '/tasks', {
          task_group_name: 'Cluster',
          function_name: 'gone',
          cron_expression: NEVER,
          name: 'orphan',
        })
      ).status,
    ).toBe(200);
    await waitFor(async () => (await names(a)).includes('orphan'), { timeoutMs: 2000, message: 'A lists orphan' });

    // Delete through B: A forgets it within a second, and it never starts again anywhere.
    const deleted = await call(b, 'DELETE', '/tasks?task_group_name=Cluster&task_name=dyn');
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ task_name: 'dyn', function_name: 'echo', dynamic: true });
    const deletedAt = Date.now();
    await waitFor(async () => !(await names(a)).includes('dyn'), {
      timeoutMs: 1000,
      intervalMs: 20,
      message: 'A forgets dyn',
    });
    await sleep(3500);
    expect(runsOf('dyn', deletedAt)).toEqual([]);
    expect(await names(a)).toEqual(['kept', 'orphan']);
    expect(await names(b)).toEqual(['kept', 'orphan']);

    // Restart every instance, without the `gone` function.
    for (const worker of [a, b]) worker.signal('SIGTERM');
    await Promise.all([a.exit(), b.exit()]);
    const [c, d] = await Promise.all([
      startWithEnv(cluster, { HTTP_PORT: '0', FUNCTIONS: '' }),
      startWithEnv(cluster, { HTTP_PORT: '0', FUNCTIONS: '' }),
    ]);
    await sleep(1500); // let notices and syncs settle: the warning must not repeat
    for (const worker of [c, d]) {
      const tasks = await tasksOf(worker);
      expect(tasks.map((t) => t.name)).toEqual(['kept']);
      expect(tasks[0]).toMatchObject({ dynamic: true, function_name: 'echo' });
      const warnings = worker.output.split('\n').filter((line) => line.includes('"orphan"'));
      expect(warnings, worker.output).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /WARN.*Dynamic task "orphan" of group "Cluster" is skipped: function "gone" is not registered/,
      );
    }
    // The orphan keeps its definition (a deployment bringing the function back restores it), and can be deleted.
    const orphan = await call(c, 'DELETE', '/tasks?task_group_name=Cluster&task_name=orphan');
    expect(orphan.status).toBe(200);
  });
});
