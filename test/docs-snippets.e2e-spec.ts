/**
 * Docs that cannot drift: every TypeScript block of README.md, docs/*.md and the library's README is compiled
 * against the built library (as a user's file importing `nestjs-task-manager`), every JSON block is parsed,
 * and the blocks marked `ts boot` (Usage, forRootAsync, Swagger, Terminus, metrics...) are booted in a fresh
 * process twice: with a Redis, and without (`REDIS_URL` unset: the in-process driver). A block that does not
 * compile or boot fails here, with its file and line. Conventions: test/support/doc-snippets.ts.
 *
 * Wall time: ~15-25 s (one compilation of every block, then two boots per `boot` block).
 */
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import {
  BOOT_SCRIPT,
  extractSnippets,
  isMain,
  SUPPORT_FILES,
  withMissingImports,
  type Snippet,
} from './support/doc-snippets.js';
import { ROOT, writeFiles } from './support/packed-app.js';
import { ensureLibraryFresh } from './support/library-build.js';
import { freePort, startRedisServer, uniquePrefix, waitFor, type RedisServerHandle } from './support/redis.js';

const DOCUMENTS = [
  join(ROOT, 'README.md'),
  join(ROOT, 'libs', 'task-manager', 'README.md'),
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join(ROOT, 'docs', name)),
];

const snippets = DOCUMENTS.flatMap((file) => extractSnippets(file, ROOT));
const typescript = snippets.filter((s) => s.language === 'ts' || s.language === 'typescript');
const booted = typescript.filter((s) => s.boot);

/** File name of a block in the compilation directory: `README.md:120` → `README.md-120.ts`. */
const fileOf = (snippet: Snippet) => `${snippet.where.replace(/[/:]/g, '-')}.ts`;

describe('documentation code blocks', () => {
  // Inside the repository (tmp/ is ignored by git), so that `nestjs-task-manager` resolves to the built
  // library through the workspace's node_modules, as a user's import does.
  const dir = join(ROOT, 'tmp', uniquePrefix('docs'));
  let redis: RedisServerHandle | undefined;
  /** One line per compiler diagnostic, naming the block (compiled once, in beforeAll: the boots need the output). */
  let compileProblems: string[] = [];

  beforeAll(async () => {
    ensureLibraryFresh();
    writeFiles(dir, {
      'package.json': JSON.stringify({ type: 'module' }),
      'boot.mjs': BOOT_SCRIPT,
      ...Object.fromEntries(Object.entries(SUPPORT_FILES).map(([name, content]) => [`src/${name}`, content])),
      ...Object.fromEntries(typescript.map((s) => [`src/${fileOf(s)}`, withMissingImports(s.code)])),
    });
    compileProblems = compile(dir);
  }, 120_000);
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the blocks, the main ones marked to boot', () => {
    expect(typescript.length).toBeGreaterThanOrEqual(15);
    const bootedDocs = booted.map((s) => s.where.split(':')[0]);
    expect(bootedDocs.filter((doc) => doc === 'README.md').length).toBeGreaterThanOrEqual(5);
  });

  it('parses every JSON block', () => {
    for (const snippet of snippets.filter((s) => s.language === 'json')) {
      expect(() => JSON.parse(snippet.code), snippet.where).not.toThrow();
    }
  });

  it('compiles every TypeScript block against the built library', () => {
    expect(compileProblems).toEqual([]);
  });

  describe.each(['with Redis', 'without Redis'])('boots each `ts boot` block %s', (mode) => {
    beforeAll(async () => {
      if (mode === 'with Redis') redis ??= await startRedisServer();
    });

    it.each(booted.map((s) => [s.where, s] as const))(
      '%s',
      async (_where, snippet) => {
        const port = await freePort();
        const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), NO_COLOR: '1' };
        delete env.REDIS_URL;
        if (mode === 'with Redis') env.REDIS_URL = redis!.url;
        const entry = join(dir, 'out', fileOf(snippet).replace(/\.ts$/, '.js'));
        const child = spawn(process.execPath, ['boot.mjs', entry, isMain(snippet) ? 'main' : 'module'], {
          cwd: dir,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const exited = new Promise<string>((resolve) =>
          child.once('exit', (code, signal) => resolve(signal ?? `exit code ${code}`)),
        );
        try {
          const booted = waitFor(() => /^BOOTED (.*)$/m.exec(output)?.[1], {
            timeoutMs: 20_000,
            message: `${snippet.where} to boot`,
          });
          const died = exited.then((how) => {
            throw new Error(`${snippet.where} exited (${how}) before it booted`);
          });
          booted.catch(() => undefined);
          died.catch(() => undefined);
          const line = await Promise.race([booted, died]).catch((error: Error) => {
            throw new Error(`${error.message}\n--- output ---\n${output.slice(-4_000)}`);
          });
          const health = JSON.parse(line) as { status: string; driver: string } | null;
          if (health) {
            expect(health, output).toMatchObject({
              status: 'healthy',
              driver: mode === 'with Redis' ? 'redis' : 'memory',
            });
          }
          for (const path of snippet.probes) {
            const answer = await waitFor(
              async () => {
                const response = await fetch(`http://127.0.0.1:${port}${path}`);
                return response.status === 200 ? response : undefined;
              },
              { timeoutMs: 10_000, message: `GET ${path} to answer 200 (${snippet.where})` },
            );
            expect(answer.status).toBe(200);
          }
          expect(output, 'no error logged').not.toMatch(/\bERROR\b/);
          expect(output, 'nothing unhandled').not.toMatch(/unhandled|uncaught/i);
        } finally {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          const how = await exited;
          clearTimeout(killer);
          expect(how, `${snippet.where} did not stop on SIGTERM:\n${output.slice(-2_000)}`).not.toBe('SIGKILL');
        }
      },
      40_000,
    );
  });
});

/** Compiles the support files and every block of `dir/src` into `dir/out`; returns the diagnostics. */
function compile(dir: string): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
    rootDir: join(dir, 'src'),
    outDir: join(dir, 'out'),
  };
  const files = [...Object.keys(SUPPORT_FILES), ...typescript.map(fileOf)].map((name) => join(dir, 'src', name));
  const program = ts.createProgram(files, options);
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  const byBlock = new Map(typescript.map((s) => [join(dir, 'src', fileOf(s)), s.where]));
  return diagnostics.map((d) => {
    const where = d.file ? (byBlock.get(d.file.fileName) ?? d.file.fileName) : '(options)';
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    return `${where} (block line ${line}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}
