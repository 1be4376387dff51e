import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureLibraryBuilt } from './support/cluster.js';
import { waitFor } from './support/redis.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('zero-infrastructure start', () => {
  let demo: ChildProcess | undefined;
  afterEach(() => {
    demo?.kill('SIGKILL');
  });

  it('without Redis, the demo serves its API, runs its tasks on the in-process driver and says so', async () => {
    ensureLibraryBuilt();
    const build = spawnSync('npm', ['run', 'build:app'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    const port = await closedPort();
    const redisPort = await closedPort();
    let output = '';
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      REDIS_PROBE: `127.0.0.1:${redisPort}`,
      NO_COLOR: '1',
    };
    delete env.REDIS_URL;
    delete env.TASK_MANAGER_API_KEY;
    demo = spawn(process.execPath, ['dist/main.js'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    demo.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/task-manager/health`)).ok, { timeoutMs: 20_000 });
    expect(output).toMatch(/No Redis configured: running on the in-process driver/);

    const tasks = (await (await fetch(`${base}/task-manager/tasks`)).json()) as Array<{ name: string }>;
    expect(tasks.map((t) => t.name)).toContain('tick');
    // The per-10-seconds heartbeat task runs: its history fills without any Redis.
    await waitFor(
      async () => {
        const stats = (await (await fetch(`${base}/task-manager/tasks/Heartbeat/tick/statistics`)).json()) as {
          runs: unknown[];
        };
        return stats.runs.length > 0;
      },
      { timeoutMs: 15_000, message: 'a run of Heartbeat/tick' },
    );
    const trigger = await fetch(`${base}/task-manager/tasks/trigger?task_group_name=Reports`, { method: 'POST' });
    expect(trigger.status).toBe(200);
  }, 60_000);
});
