import type { TaskKwargs } from '../decorators/task.decorator.js';
import type { RunKind } from '../engine/coordination.port.js';

/**
 * A run waiting in the one-off queue (a retry, a trigger, a run handed back): the member of the one-off ZSET,
 * the JSON array `[taskId, slot, attempt, kind]`, e.g. `["g\/t",1700000000000,2,"retry"]` (due time is the
 * score), or `[taskId, slot, attempt, kind, kwargs]` for a run with its own kwargs (a trigger with arguments,
 * its retries): `kwargs` is their JSON text, a string (`"{\"to\":\"ops\"}"`), carried as it is into the run
 * message (`w`, run-message.codec.ts). Entries written before kwargs existed have 4 elements and stay readable.
 * Lua: includes/one-off-entry.lua.
 */
export interface OneOffEntry {
  taskId: string;
  slot: number;
  attempt: number;
  kind: RunKind;
  /** The run's own kwargs (instead of its task's), if any. */
  kwargs?: TaskKwargs;
}

/** The member of an entry, byte for byte what the Lua scripts write (cjson.encode of the same array). */
export function encodeOneOffEntry({ taskId, slot, attempt, kind, kwargs }: OneOffEntry): string {
  const text = encodeRunKwargs(kwargs);
  const entry = text === '' ? [taskId, slot, attempt, kind] : [taskId, slot, attempt, kind, text];
  return asCjson(JSON.stringify(entry));
}

/** The JSON text of a run's own kwargs as the wire carries it (script arguments, entries, messages); '' for none. */
export function encodeRunKwargs(kwargs: TaskKwargs | null | undefined): string {
  return kwargs === undefined || kwargs === null ? '' : JSON.stringify(kwargs);
}

/** A run's own kwargs from their JSON text (undefined for none, or text that is not a JSON object). */
export function decodeRunKwargs(text: unknown): TaskKwargs | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as TaskKwargs) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * JSON as Redis's Lua cjson writes it: like JSON.stringify, but `/` escaped as `\/` and DEL as `\u007f`
 * (both only ever appear inside strings of the JSON text).
 */
function asCjson(json: string): string {
  return json.replace(/[/\x7f]/g, (c) => (c === '/' ? '\\/' : '\\u007f'));
}

/** The entry a member stands for, or undefined when it is not one (it would stay due forever: drop it). */
export function decodeOneOffEntry(member: string): OneOffEntry | undefined {
  try {
    const [taskId, slot, attempt, kind, text] = JSON.parse(member) as unknown[];
    if (typeof taskId !== 'string' || typeof slot !== 'number' || !Number.isFinite(slot)) return undefined;
    const kwargs = decodeRunKwargs(text);
    return { taskId, slot, attempt: Number(attempt) || 1, kind: kind as RunKind, ...(kwargs ? { kwargs } : {}) };
  } catch {
    return undefined;
  }
}
