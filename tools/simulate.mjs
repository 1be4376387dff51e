#!/usr/bin/env node
// Runs the deterministic simulator (test/sim/cli.ts) on the library's TypeScript sources: bundles it with
// esbuild into node_modules/.cache (packages stay external), then runs it. `npm run simulate -- --help`:
// see docs/simulation.md.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
// The bundle's children (--jobs) run it directly.
process.argv[1] = out;
await import(pathToFileURL(out).href);
