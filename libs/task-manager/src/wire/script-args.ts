/**
 * The argument layouts of the multi-item Lua scripts: each script's own arguments (`head`), then the item
 * count, then per item one value per field, in the order declared here (and, for a layout with a list, the
 * list's length and values). The stride of an item is the number of its fields: declared once, here. The Lua
 * side reads the items by the same names, `readItems(<ARGV index of the count>, { <fields> }, <list>)`
 * (lua/includes/item-args.lua), and each script's header cites them; test/script-args.spec.ts checks that
 * every script reads exactly the layout declared here.
 */

/** A script argument (a Buffer: binary data, e.g. a DUMP payload). */
export type ScriptArg = string | number | Buffer;

/** A boolean argument: '1' | '0'. */
export function flag(value: boolean): '1' | '0' {
  return value ? '1' : '0';
}

type Item<F extends string, L extends string> = Record<F, ScriptArg> & Record<L, readonly ScriptArg[]>;

/** The argument layout of one multi-item script. */
export class ScriptArgs<H extends string, F extends string, L extends string = never> {
  constructor(
    /** The script (`lua/<file>`). */
    readonly script: string,
    /** Its own arguments, before the item count (ARGV[1..head.length]). */
    readonly head: readonly H[],
    /** Each item's fields, in order. */
    readonly fields: readonly F[],
    /** The name of a variable-length list ending each item, if any. */
    readonly list?: L,
  ) {}

  /** The ARGV index of the item count (1-based, as in Lua). */
  get countIndex(): number {
    return this.head.length + 1;
  }

  /** The script's arguments: the head, the item count, each item's fields (and list). */
  encode(head: Record<H, ScriptArg>, items: ReadonlyArray<Item<F, L>>): ScriptArg[] {
    const args: ScriptArg[] = this.head.map((name) => head[name]);
    args.push(items.length);
    for (const item of items) {
      for (const field of this.fields) args.push(item[field]);
      if (this.list !== undefined) {
        const values = item[this.list];
        args.push(values.length);
        for (const value of values) args.push(value);
      }
    }
    return args;
  }
}

export const START_RUNS_ARGS = new ScriptArgs(
  'start-runs-5.lua',
  ['taskStatePrefix', 'leaseTtlMs', 'group', 'consumer'],
  [
    'taskId',
    'priority',
    'messageId',
    'allowParallel',
    'dynamic',
    'slot',
    'attempt',
    'kind',
    'generation',
    'leaseUntil',
    'kwargs',
  ],
);

export const RENEW_RUNS_ARGS = new ScriptArgs(
  'renew-runs-6.lua',
  ['group', 'workerId', 'leaseTtlMs', 'taskStatePrefix', 'description'],
  ['priority', 'messageId', 'taskId', 'generation', 'dynamic', 'leaseUntil'],
);

/** renew-runs-6 of one partition: the same runs, without the worker registry's description. */
export const RENEW_PARTITION_RUNS_ARGS = new ScriptArgs(
  'renew-partition-runs-4.lua',
  ['group', 'workerId', 'leaseTtlMs', 'taskStatePrefix'],
  RENEW_RUNS_ARGS.fields,
);

export const HAND_BACK_RUNS_ARGS = new ScriptArgs(
  'hand-back-runs-3.lua',
  ['group', 'consumer', 'taskStatePrefix', 'requestKey', 'leaseTtlMs'],
  ['priority', 'messageId', 'taskId', 'slot', 'attempt', 'kind', 'generation', 'leaseUntil', 'kwargs'],
);

export const COMPLETE_RUNS_ARGS = new ScriptArgs(
  'complete-runs-5.lua',
  ['group', 'taskStatePrefix', 'historyPrefix', 'historyMax', 'historyTtlSeconds'],
  [
    'workerId',
    'priority',
    'messageId',
    'taskId',
    'status',
    'startedAt',
    'duration',
    'error',
    'slot',
    'attempt',
    'kind',
    'generation',
    'dynamic',
    'leaseUntil',
    'kwargs',
    'stack',
    'backoffStart',
    'backoffMax',
    'backoffMultiplier',
    'maxAttempts',
  ],
);

export const PUBLISH_RUNS_ARGS = new ScriptArgs(
  'publish-runs-6.lua',
  ['token', 'nowMs', 'taskStatePrefix'],
  ['source', 'taskId', 'expected', 'nextSlot', 'priority', 'allowParallel', 'attempt', 'kind'],
  'slots',
);

export const REGISTER_TASKS_ARGS = new ScriptArgs(
  'register-tasks-3.lua',
  ['taskStatePrefix'],
  ['taskId', 'signature', 'firstSlot', 'version', 'disabled'],
);

export const TRIGGER_TASKS_ARGS = new ScriptArgs(
  'trigger-tasks-1.lua',
  ['taskStatePrefix', 'channel', 'notice', 'requestKey', 'kwargs'],
  ['taskId'],
);

export const CLEAR_HISTORY_ARGS = new ScriptArgs(
  'clear-history-1.lua',
  ['taskStatePrefix', 'historyPrefix'],
  ['taskId'],
);

/**
 * sweep-orphans-8 of one partition: its own arguments, then the workers the caller read (`live` '1') and the
 * pointer owners it asks to forget (`live` '0').
 */
export const SWEEP_PARTITION_ARGS = new ScriptArgs(
  'sweep-partition-7.lua',
  ['token', 'graceMs', 'cursor', 'count', 'taskSetPrefix', 'taskStatePrefix', 'historyPrefix'],
  ['workerId', 'live'],
);

/**
 * move-tasks-in-5 (a repartition): each task as its former partition holds it, '' for what it does not have;
 * `state` and `history` are DUMP payloads, their TTLs in ms (0: none).
 */
export const MOVE_TASKS_IN_ARGS = new ScriptArgs(
  'move-tasks-in-5.lua',
  ['taskStatePrefix', 'historyPrefix', 'definitionsGeneration'],
  ['taskId', 'slot', 'signature', 'definition', 'orphanSince', 'state', 'stateTtl', 'history', 'historyTtl'],
);

/** move-tasks-out-4 (a repartition): the tasks to remove from their former partition. */
export const MOVE_TASKS_OUT_ARGS = new ScriptArgs(
  'move-tasks-out-4.lua',
  ['taskStatePrefix', 'historyPrefix'],
  ['taskId'],
);

/** Every multi-item script's layout (for the test that the Lua side reads the same). */
export const SCRIPT_ARGS: ReadonlyArray<ScriptArgs<string, string, string>> = [
  START_RUNS_ARGS,
  RENEW_RUNS_ARGS,
  RENEW_PARTITION_RUNS_ARGS,
  HAND_BACK_RUNS_ARGS,
  COMPLETE_RUNS_ARGS,
  PUBLISH_RUNS_ARGS,
  REGISTER_TASKS_ARGS,
  TRIGGER_TASKS_ARGS,
  CLEAR_HISTORY_ARGS,
  SWEEP_PARTITION_ARGS,
  MOVE_TASKS_IN_ARGS,
  MOVE_TASKS_OUT_ARGS,
];
