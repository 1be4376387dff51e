#!/usr/bin/env node
// One-shot migration helper: maps the task names of a FastAPI Task Manager deployment to the names the same
// tasks have in nestjs-task-manager, and prints the `POST /tasks` bodies that recreate its dynamic tasks.
//
//   node tools/fastapi-task-names.mjs <original> <ours> [--json]
//
// <original> and <ours> are the answers of `GET /tasks` of each (a URL, e.g.
// http://old:8000/task-manager/tasks, or a JSON file). The original names a task declared with several
// expressions or kwargs `<name>__<sha256 of its kwargs, or nothing>__<sha256 of its expression>__`; ours names
// them `<name>-1`, `<name>-2`... Tasks are paired by group, base name, expression and kwargs (the kwargs hash
// decides when the original's GET /tasks does not show kwargs). Nothing is written anywhere.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

/** `<name>__<kwargs hash or empty>__<expression hash>__`, the original's generated names. */
const HASHED = /^(.*)__([0-9a-f]{64})?__([0-9a-f]{64})__$/;

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** The parts of one of the original's names: its base, and the hashes when it was generated. */
export function parseOriginalName(name) {
  const match = HASHED.exec(name);
  return match ? { base: match[1], kwargsHash: match[2] ?? '', expressionHash: match[3] } : { base: name };
}

/** A JSON value as Python's `repr` writes it (strings, numbers, booleans, None, lists, dicts). */
export function pythonRepr(value) {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  // NOTE: JSON cannot tell 2.0 from 2: a float kwarg with an integral value hashes as an int here.
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyFloat(value);
  if (typeof value === 'string') return pyString(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${pyString(k)}: ${pythonRepr(v)}`)
    .join(', ')}}`;
}

/** A non-integer number as Python writes a float (exponent from 1e16 and below 1e-4, two digits at least). */
function pyFloat(n) {
  const abs = Math.abs(n);
  if (abs < 1e16 && abs >= 1e-4) return String(n);
  const [mantissa, exponent] = n.toExponential().split('e');
  return `${mantissa}e${exponent[0]}${exponent.slice(1).padStart(2, '0')}`;
}

function pyString(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0);
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

/** The original's kwargs hash: sha256 of `str(sorted(kwargs.items()))`, empty for no kwargs. */
export function originalKwargsHash(kwargs) {
  const entries = Object.entries(kwargs ?? {});
  if (entries.length === 0) return '';
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sha256(`[${entries.map(([k, v]) => `(${pyString(k)}, ${pythonRepr(v)})`).join(', ')}]`);
}

/** The original's expression hash. */
export const originalExpressionHash = (expression) => sha256(expression);

const sameKwargs = (a, b) => JSON.stringify(canonical(a ?? {})) === JSON.stringify(canonical(b ?? {}));
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k])]),
    );
  return value;
}

/**
 * Pairs the original's tasks with ours. Returns `mapped` ({task_group_name, fastapi, ours}), `unmatched`
 * ({task_group_name, fastapi, reason}) and, for each dynamic task of the original, the `POST /tasks` body that
 * recreates it (`recreate`; without `name` when the original generated it: ours then generates one).
 */
export function mapTaskNames(original, ours) {
  const mapped = [];
  const unmatched = [];
  const recreate = [];
  for (const task of original) {
    const parsed = parseOriginalName(task.name);
    if (task.dynamic) {
      recreate.push(recreateBody(task, parsed.expressionHash !== undefined));
      continue;
    }
    let candidates = ours.filter(
      (t) =>
        !t.dynamic &&
        t.task_group_name === task.task_group_name &&
        t.expression === task.expression &&
        (t.name === parsed.base ||
          (t.name.startsWith(`${parsed.base}-`) && /^\d+$/.test(t.name.slice(parsed.base.length + 1)))),
    );
    if (task.kwargs !== null && task.kwargs !== undefined)
      candidates = candidates.filter((t) => sameKwargs(t.kwargs, task.kwargs));
    if (candidates.length > 1 && parsed.kwargsHash !== undefined)
      candidates = candidates.filter((t) => originalKwargsHash(t.kwargs) === parsed.kwargsHash);
    if (candidates.length === 1)
      mapped.push({ task_group_name: task.task_group_name, fastapi: task.name, ours: candidates[0].name });
    else
      unmatched.push({
        task_group_name: task.task_group_name,
        fastapi: task.name,
        reason: candidates.length === 0 ? 'no task of ours with this group, name, expression and kwargs' : 'ambiguous',
      });
  }
  return { mapped, unmatched, recreate };
}

function recreateBody(task, generatedName) {
  const body = {
    task_group_name: task.task_group_name,
    function_name: task.function_name,
    cron_expression: task.expression,
    kwargs: task.kwargs ?? null,
    description: task.description ?? null,
    high_priority: task.high_priority ?? false,
    tags: task.tags ?? null,
    retry_backoff: task.retry_backoff ?? null,
    retry_backoff_max: task.retry_backoff_max ?? null,
    allow_parallel: task.allow_parallel ?? null,
  };
  return generatedName ? body : { ...body, name: task.name };
}

async function load(source) {
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source);
    if (!res.ok) throw new Error(`${source}: HTTP ${res.status}`);
    return res.json();
  }
  return JSON.parse(await readFile(source, 'utf8'));
}

async function main(argv) {
  const json = argv.includes('--json');
  const [originalSource, oursSource] = argv.filter((a) => a !== '--json');
  if (!originalSource || !oursSource) {
    process.stderr.write(
      'usage: node tools/fastapi-task-names.mjs <original GET /tasks URL or file> <ours> [--json]\n',
    );
    return 2;
  }
  const result = mapTaskNames(await load(originalSource), await load(oursSource));
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    for (const m of result.mapped) process.stdout.write(`${m.task_group_name}\t${m.fastapi}\t->\t${m.ours}\n`);
    for (const u of result.unmatched) process.stdout.write(`${u.task_group_name}\t${u.fastapi}\t??\t${u.reason}\n`);
    for (const body of result.recreate) process.stdout.write(`POST /tasks ${JSON.stringify(body)}\n`);
  }
  return result.unmatched.length > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error) => {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
    },
  );
}
