#!/usr/bin/env node
// The package's command (`npx nestjs-task-manager repartition --help`): see ops/repartition-cli.ts.
import { runCli } from './repartition-cli.js';
import { repartition } from './repartition.js';

process.exitCode = await runCli(
  process.argv.slice(2),
  { out: (line) => console.log(line), err: (line) => console.error(line) },
  process.env,
  repartition,
);
