/**
 * The one check that the built library (libs/task-manager/dist) is current, for tests that run it in other
 * processes (workers, packed apps, doc snippets) instead of its source: a dist older than any source file is
 * rebuilt, once per test run (a lock serialises the test files that ask at the same time; the first
 * rebuilds, the others find it fresh), and a failed build fails with the compiler's output.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const library = join(root, 'libs/task-manager');
/** What the build reads: a change to any of these makes dist stale. */
const inputs = ['src', 'scripts', 'package.json', 'tsconfig.lib.json'].map((name) => join(library, name));
const entry = join(library, 'dist/index.js');
const lockDir = join(root, 'tmp/.library-build.lock');
const BUILD_TIMEOUT_MS = 180_000;

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Whether dist exists and is newer than every input of the build. */
export function isLibraryFresh(): boolean {
  if (!existsSync(entry)) return false;
  const built = statSync(entry).mtimeMs;
  return inputs.every((input) => !existsSync(input) || newestMtime(input) <= built);
}

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Runs `fn` holding a lock directory shared by every test process of this checkout. */
function withBuildLock(fn: () => void): void {
  mkdirSync(join(root, 'tmp'), { recursive: true });
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than a build can take was left by a killed run.
      if ((statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) < Date.now() - BUILD_TIMEOUT_MS)
        rmSync(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another test process has been building the library for too long`);
      pause(200);
    }
  }
  try {
    fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Rebuilds the library when dist is missing or older than a source file (other processes import dist). */
export function ensureLibraryFresh(): void {
  if (isLibraryFresh()) return;
  withBuildLock(() => {
    if (isLibraryFresh()) return;
    console.log('[library-build] libs/task-manager/dist is missing or older than its sources: npm run build:lib');
    const result = spawnSync('npm', ['run', 'build:lib'], { cwd: root, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
    if (result.status !== 0)
      throw new Error(
        `libs/task-manager/dist is stale and \`npm run build:lib\` failed (fix the build, or run it yourself):\n` +
          `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`,
      );
  });
}
