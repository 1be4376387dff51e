#!/usr/bin/env node
// The capacity model of docs/scaling.md: how many instances and Redis masters a deployment needs, from the
// per-run costs measured by `npm run bench` (docs/benchmarks.json). `node tools/capacity-model.mjs` prints the
// doc's tables (markdown); `--json` the same numbers as JSON; `--write` rewrites them in docs/scaling.md
// (between its capacity-model markers); `--bench FILE` reads another benchmarks.json.
// The pieces: tools/capacity/ (inputs, model, replay, tables, markdown). Types: capacity-model.d.mts.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderMarkdown, report } from './capacity/tables.mjs';

export { COST_SOURCES, costsFromBenchmarks, measuredFromBenchmarks } from './capacity/inputs.mjs';
export {
  DEFAULT_TARGET,
  busiestShare,
  ceilings,
  effectiveMasters,
  load,
  memory,
  size,
  sizePartitioned,
} from './capacity/model.mjs';
export { replay } from './capacity/replay.mjs';
export { DEFAULT_SETTINGS, renderMarkdown, report } from './capacity/tables.mjs';

/** docs/benchmarks.json of this repository. */
export const BENCHMARKS_JSON = fileURLToPath(new URL('../docs/benchmarks.json', import.meta.url));
/** docs/scaling.md, whose tables sit between these markers. */
export const SCALING_MD = fileURLToPath(new URL('../docs/scaling.md', import.meta.url));
export const BEGIN = '<!-- capacity-model:begin -->';
export const END = '<!-- capacity-model:end -->';

/** The report of a benchmarks.json file (default: the repository's). */
export function reportOf(file = BENCHMARKS_JSON) {
  return report(JSON.parse(readFileSync(file, 'utf8')));
}

/** `doc` with the text between its markers replaced by `tables`. */
export function withTables(doc, tables) {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`docs/scaling.md has no ${BEGIN} … ${END}`);
  return `${doc.slice(0, begin + BEGIN.length)}\n\n${tables}\n\n${doc.slice(end)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--bench');
  const r = reportOf(at >= 0 ? args[at + 1] : undefined);
  if (args.includes('--write'))
    writeFileSync(SCALING_MD, withTables(readFileSync(SCALING_MD, 'utf8'), renderMarkdown(r)));
  else process.stdout.write(args.includes('--json') ? `${JSON.stringify(r, null, 2)}\n` : `${renderMarkdown(r)}\n`);
}
