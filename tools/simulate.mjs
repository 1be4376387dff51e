#!/usr/bin/env node
// Runs the deterministic simulator (test/sim/cli.ts) on the library's TypeScript sources: bundles it with
// esbuild into node_modules/.cache (packages stay external), then runs it in a node process of its own with
// single-threaded garbage collection. `npm run simulate -- --help`: see docs/simulation.md.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const out = `${root}node_modules/.cache/nestjs-task-manager-sim/cli.mjs`;
mkdirSync(`${root}node_modules/.cache/nestjs-task-manager-sim`, { recursive: true });
await build({
  entryPoints: [`${root}test/sim/cli.ts`],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  tsconfig: `${root}tsconfig.json`,
  logLevel: 'warning',
});
// A simulation allocates fast and keeps little: V8's parallel scavenges cost more CPU than they save (their
// helper threads wait on each other, and on the other jobs, on a loaded machine): about a fifth of the CPU
// of a run. The flag changes no simulated step (see docs/simulation.md, Figures). The bundle's children
// (--jobs) inherit it.
const { status, signal } = spawnSync(
  process.execPath,
  [...process.execArgv, '--single-threaded-gc', out, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
process.exitCode = status ?? (signal ? 1 : 0);
