// `npm run soak [-- --minutes N --instances N --tasks N --seed S --partitions P --topology standalone|cluster
// --faults a,b --normal-only --no-docs --out report.json --raw executions.json]`:
// runs the chaos soak
// (soak/soak.mjs), prints its summary, writes the raw report to docs/reliability-soak.json and regenerates
// the soak section of docs/reliability.md. Exits with 1 when an acceptance criterion fails.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { faultsUnavailableIn } from './extra-faults.mjs';
import { acceptance, renderMarkdown } from './report.mjs';
import { layoutProblem, runSoak, SOAK_DEFAULTS } from './soak.mjs';

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const number = (name) => (flag(name) === undefined ? undefined : Number(flag(name)));
const input = Object.fromEntries(
  Object.entries({
    minutes: number('minutes'),
    instances: number('instances'),
    tasks: number('tasks'),
    seed: number('seed'),
    partitions: number('partitions'),
    topology: flag('topology'),
  }).filter(([, v]) => v !== undefined),
);
if (args.includes('--normal-only')) input.highPriority = false;
if (flag('faults')) input.faults = flag('faults').split(',');
// Every execution, fault and leadership change as recorded, for diagnosing a verdict afterwards.
if (flag('raw')) input.rawOut = flag('raw');
if (input.instances !== undefined && (input.instances < 3 || input.instances > 5)) {
  console.error('--instances must be between 3 and 5');
  process.exit(2);
}
const problem = layoutProblem({ ...SOAK_DEFAULTS, ...input });
if (problem) {
  console.error(`--${problem}`);
  process.exit(2);
}
const linkOnly = faultsUnavailableIn(input.topology, input.faults ?? []);
if (linkOnly.length > 0) {
  console.error(
    `--faults ${linkOnly.join(',')}: these act on an instance's own link to Redis (standalone topology only)`,
  );
  process.exit(2);
}

const started = Date.now();
const report = await runSoak(input, (line) =>
  console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`),
);
report.generatedAt = new Date().toISOString();
const verdict = acceptance(report);
report.acceptance = verdict;

const docs = fileURLToPath(new URL('../docs/', import.meta.url));
if (flag('out')) writeFileSync(flag('out'), `${JSON.stringify(report, null, 2)}\n`);
if (!args.includes('--no-docs')) {
  writeFileSync(`${docs}reliability-soak.json`, `${JSON.stringify(report, null, 2)}\n`);
  const path = `${docs}reliability.md`;
  const doc = readFileSync(path, 'utf8');
  const begin = '<!-- soak:begin -->';
  const end = '<!-- soak:end -->';
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${path} has no ${begin} ... ${end} section`);
  writeFileSync(path, `${doc.slice(0, a + begin.length)}\n${renderMarkdown(report)}\n${doc.slice(b)}`);
  console.error(`wrote docs/reliability-soak.json and the soak section of docs/reliability.md`);
}
console.log(renderMarkdown(report));
console.log(verdict.passed ? 'soak: PASSED' : `soak: FAILED (${verdict.failures.join('; ')})`);
process.exit(verdict.passed ? 0 : 1);
