import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureLibraryFresh } from './support/library-build.js';
import { freePort, waitFor } from './support/redis.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('zero-infrastructure start', () => {
  let demo: ChildProcess | undefined;
  afterEach(() => {
    demo?.kill('SIGKILL');
  });

  it('without Redis, the demo serves its API, runs its tasks on the in-process driver and says so', async () => {
    ensureLibraryFresh();
    const build = spawnSync('npm', ['run', 'build:app'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    const port = await freePort();
    const redisPort = await freePort();
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
    // Health says which driver runs, and never claims a Redis connection.
    const health = (await (await fetch(`${base}/task-manager/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'healthy', driver: 'memory', redis_connected: false });
    const terminus = (await (await fetch(`${base}/health`)).json()) as {
      details: Record<string, Record<string, unknown>>;
    };
    expect(terminus.details['task-manager']).toMatchObject({ status: 'up', driver: 'memory', redis_connected: false });

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
