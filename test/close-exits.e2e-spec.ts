import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureLibraryFresh } from './support/library-build.js';
import { cleanupPrefix, redisUrl, uniquePrefix } from './support/redis.js';

describe('app.close()', () => {
  const prefix = uniquePrefix('exit');
  afterEach(async () => {
    await cleanupPrefix(prefix);
  });

  it('leaves no timer or socket open: the process exits by itself right after closing', async () => {
    ensureLibraryFresh();
    const script = fileURLToPath(new URL('./fixtures/close-exits.mjs', import.meta.url));
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, REDIS_URL: redisUrl(), PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exit = await new Promise<{ code: number | null; at: number }>((resolve) => {
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (code) => {
        clearTimeout(killer);
        resolve({ code, at: Date.now() });
      });
    });
    const closedAt = Number(/closed (\d+)/.exec(output)?.[1]);
    expect(exit.code, output).toBe(0);
    expect(closedAt).toBeGreaterThan(0);
    // Exited on its own, promptly (an open handle would keep it alive until the 20 s kill).
    expect(exit.at - closedAt).toBeLessThan(2000);
  }, 30_000);
});
