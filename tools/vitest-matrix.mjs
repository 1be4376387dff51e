// What the test matrices share: the server matrix (tools/servers/test-servers.mjs, one run per Redis server)
// and the layout matrix (tools/layouts/test-layouts.mjs, one run per deployment layout) each run Vitest on a
// list of test files once per entry, with the entry's environment, then report:
//
// - `runVitest()`: one run, its Vitest JSON report in a file, its counts;
// - `finishMatrix()`: one line per entry, `summary.json` (the totals under the field names of a Vitest JSON
//   report, which .ci/run adds to the main suite's) and the last line "N passed, N failed[, N skipped]".
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs `files` in Vitest's e2e project with the environment `env`, the default reporter on the console and a
 * JSON report in `report`.
 * @param {{ files: string[], env: NodeJS.ProcessEnv, report: string }} run
 * @returns {{ passed: number, failed: number, skipped: number, seconds: number, note?: string }}
 */
export function runVitest({ files, env, report }) {
  rmSync(report, { force: true });
  const started = Date.now();
  const result = spawnSync(
    'npx',
    [
      'vitest',
      'run',
      '--project',
      'e2e',
      ...files,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
    ],
    { cwd: root, env, stdio: 'inherit' },
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  if (!existsSync(report)) return { passed: 0, failed: 1, skipped: 0, seconds, note: 'no test report' };
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const counts = {
    passed: r.numPassedTests ?? 0,
    failed: r.numFailedTests ?? 0,
    skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0),
    seconds,
  };
  // A run that failed outside any test (a failed suite, an unhandled error) must not count as green.
  if (result.status !== 0 && counts.failed === 0) counts.failed = 1;
  return counts;
}

/**
 * Prints one line per entry, writes `<resultsDir>/summary.json` and the last line, and sets the exit code.
 * @param {object} matrix
 * @param {Array<Record<string, unknown> & { outcome: string, passed?: number, failed?: number, skipped?: number, seconds?: number }>} matrix.rows
 *   one per entry: its outcome ('passed', 'FAILED', 'skipped', 'error') and, when it ran, the counts of `runVitest`
 * @param {(row: any) => [string, string]} matrix.describe the entry's name and what it is, for its line
 * @param {number} matrix.errors entries that could not run through no fault of a test (each counts as a failure)
 * @param {string} matrix.resultsDir
 * @param {string} matrix.key the field of summary.json holding the rows (`servers`, `layouts`)
 * @param {(message: string) => void} matrix.log
 */
export function finishMatrix({ rows, describe, errors, resultsDir, key, log }) {
  console.log('');
  const described = rows.map((row) => [row, ...describe(row)]);
  const nameWidth = Math.max(0, ...described.map(([, name]) => name.length));
  const aboutWidth = Math.max(0, ...described.map(([, , about]) => about.length));
  for (const [row, name, about] of described) {
    const detail =
      row.passed === undefined
        ? row.outcome
        : `${row.outcome}: ${row.passed} passed, ${row.failed} failed, ${row.skipped} skipped in ${row.seconds} s`;
    log(`${name.padEnd(nameWidth)} ${about.padEnd(aboutWidth)} ${detail}`);
  }
  const sum = (field) => rows.reduce((n, row) => n + (row[field] ?? 0), 0);
  const failed = sum('failed') + errors;
  const skipped = sum('skipped');
  const totals = { numPassedTests: sum('passed'), numFailedTests: failed, numPendingTests: skipped, [key]: rows };
  writeFileSync(join(resultsDir, 'summary.json'), `${JSON.stringify(totals, null, 2)}\n`);
  console.log(`${sum('passed')} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
  process.exitCode = failed > 0 ? 1 : 0;
}
