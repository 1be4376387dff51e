/**
 * What a deployment sends to Redis and leaves in it, reduced to shapes that do not depend on timing, for the
 * golden of test/partitions-p1-golden.e2e-spec.ts: the script a MONITORed call runs, arguments normalized
 * (prefix, worker id, uuids, digests, JSON, numbers), and the difference of two goldens as added / removed lines.
 */
import { createHash } from 'node:crypto';
import { LUA_SCRIPTS } from '../../libs/task-manager/src/redis/lua-scripts.generated.js';

/** Sorted, distinct lines of each part of a golden. */
export interface Golden {
  /** `<key> <type>[ expires][ groups=<names>]` of every key left in Redis. */
  keys: string[];
  /** Shapes of the commands the instance sent (a script call: its name, numkeys, KEYS and the keys of its ARGV). */
  commands: string[];
  /** The commands its scripts ran: the script, the command and its keys (per-task keys and streams by kind). */
  scriptCommands: string[];
}

const scriptName = (file: string) => file.replace(/\.lua$/, '');

/** Script file name (`<name>-<numKeys>`) by the SHA-1 ioredis sends with EVALSHA. */
const SCRIPT_BY_SHA = new Map(
  Object.entries(LUA_SCRIPTS).map(([file, lua]) => [createHash('sha1').update(lua).digest('hex'), scriptName(file)]),
);

/**
 * A text as ioredis' MONITOR reports it: Redis escapes it (`sdscatrepr`), ioredis only turns `\"` back. ioredis
 * falls back to EVAL with the script's text when the server lacks the script: named by this form.
 */
function monitorForm(text: string): string {
  const escapes: Record<number, string> = { 92: '\\\\', 10: '\\n', 13: '\\r', 9: '\\t', 7: '\\a', 8: '\\b' };
  let out = '';
  for (const byte of Buffer.from(text)) {
    if (escapes[byte]) out += escapes[byte];
    else if (byte >= 32 && byte < 127) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}
const SCRIPT_BY_TEXT = new Map(Object.entries(LUA_SCRIPTS).map(([file, lua]) => [monitorForm(lua), scriptName(file)]));

/** The script an EVALSHA or EVAL runs, as MONITOR reports the call; undefined for any other command. */
export function scriptOf([command, body]: string[]): string | undefined {
  if (/^evalsha$/i.test(command)) return SCRIPT_BY_SHA.get(body) ?? `unknown script ${body}`;
  if (/^eval$/i.test(command)) return SCRIPT_BY_TEXT.get(body) ?? 'unknown script (EVAL)';
  return undefined;
}

/** Normalizes arguments of deployment `prefix`: its tag, the worker id, uuids, digests, JSON values and numbers. */
export function argNormalizer(prefix: string, workerId: () => string) {
  const tag = `{${prefix}}`;
  return (arg: string): string => {
    if (/^(\{"|\[)/.test(arg)) return '<json>';
    return arg
      .split(tag)
      .join('{<p>}')
      .split(workerId())
      .join('<worker>')
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
      .replace(/\b[0-9a-f]{40}\b/g, '<digest>')
      .replace(/\d+(\.\d+)?/g, '<n>');
  };
}

/**
 * The shape of a command the instance sent: a script call as `SCRIPT <name> <numkeys> <KEYS> [ARGV <keys>]`
 * (the distinct keys and key prefixes its arguments carry, sorted: their kinds, not their number), any other
 * command with every argument normalized.
 */
export function commandShape(args: string[], tag: string, normalize: (arg: string) => string): string {
  const script = scriptOf(args);
  if (script === undefined) return [args[0].toUpperCase(), ...args.slice(1).map(normalize)].join(' ');
  const numKeys = Number(args[2]);
  const keys = args.slice(3, 3 + numKeys).map(normalize);
  const argvKeys = [
    ...new Set(
      args
        .slice(3 + numKeys)
        .filter((arg) => arg.includes(tag))
        .map(normalize),
    ),
  ].sort();
  return `SCRIPT ${script} ${numKeys} ${keys.join(' ')}${argvKeys.length > 0 ? ` ARGV ${argvKeys.join(' ')}` : ''}`;
}

/**
 * The shape of a command a script ran: `<script>: <COMMAND> <keys>`. Which tasks and streams it touches depends on
 * what was due or held at that moment (a heartbeat may catch a tick in flight): per-task keys and streams by kind.
 */
export function scriptCommandShape(
  [script, command, ...args]: string[],
  tag: string,
  normalize: (arg: string) => string,
): string {
  const keys = args
    .filter((arg) => arg.includes(tag))
    .map((arg) =>
      normalize(arg)
        .replace(/^(\{<p>\}:(?:task|runs)):.+$/, '$1:<task>')
        .replace(/^(\{<p>\}:stream):(?:high|normal)$/, '$1:<priority>'),
    );
  return [`${script}:`, command.toUpperCase(), ...keys].join(' ');
}

/** Lines of `actual` missing from `expected` (`+`) and the reverse (`-`), by part; empty when they are equal. */
export function goldenDifference(actual: Golden, expected: Golden): string {
  const lines: string[] = [];
  for (const part of ['keys', 'commands', 'scriptCommands'] as const) {
    const want = new Set(expected[part]);
    const got = new Set(actual[part]);
    for (const line of got) if (!want.has(line)) lines.push(`${part} + ${line}`);
    for (const line of want) if (!got.has(line)) lines.push(`${part} - ${line}`);
  }
  return lines.join('\n');
}

/** Distinct lines, sorted. */
export const distinctSorted = (lines: Iterable<string>) => [...new Set(lines)].sort();
