/**
 * The whole project type-checks and lints, as `npm run lint` does. vitest strips types without checking them,
 * so a type error in a test, a tool's declaration or the demo would otherwise reach main unseen (it did: an
 * untyped import of soak/analysis/faults.mjs from a test).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, run } from './support/packed-app.js';

const bin = (pkg: string, file: string) => join(ROOT, 'node_modules', pkg, file);

describe('the project', () => {
  it('type-checks (tsc -p tsconfig.json --noEmit) and oxlint reports nothing', async () => {
    const env = { ...process.env, NO_COLOR: '1' };
    const options = { cwd: ROOT, env, timeoutMs: 180_000 };
    await expect(
      run(process.execPath, [bin('typescript', 'bin/tsc'), '-p', 'tsconfig.json', '--noEmit'], options),
    ).resolves.toBeDefined();
    const lint = await run(bin('.bin', 'oxlint'), ['--deny-warnings', 'src/', 'test/', 'libs/'], options);
    expect(lint.stdout).toMatch(/Found 0 warnings and 0 errors/);
  }, 200_000);
});
