import type { CoordinationPort } from '../../libs/task-manager/src/engine/coordination.port.js';
import type { MemoryStore } from '../../libs/task-manager/src/memory/memory-store.js';

/**
 * Fixes the simulator can revert in its simulated driver (the engine's own code is not touched): to show that
 * it finds the bug each one fixed (rediscovery runs, and its own test that it catches a real bug).
 */
export interface SimFlags {
  /** The Redis driver re-reads its pending runs after a reconnection (default true). */
  rereadAfterReconnect?: boolean;
  /**
   * The store refuses a dynamic task whose first slot is not after its clock ('late': a create held by a
   * frozen link would plan a slot that may have run under a task of that name deleted meanwhile; seed 380's
   * fix) (default true).
   */
  refuseLateCreate?: boolean;
}

/** `--revert` names (CLI and replay lines) and the flags each sets. */
export const REVERTS = {
  reread: { rereadAfterReconnect: false },
  'late-create': { refuseLateCreate: false },
} as const satisfies Record<string, SimFlags>;
export type RevertName = keyof typeof REVERTS;

/** The flags of `names`. */
export function flagsOf(names: readonly string[]): SimFlags {
  const flags: SimFlags = {};
  for (const name of names) {
    if (!(name in REVERTS)) throw new Error(`unknown fix "${name}" (known: ${Object.keys(REVERTS).join(', ')})`);
    Object.assign(flags, REVERTS[name as RevertName]);
  }
  return flags;
}

/** The `--revert` names of `flags` (empty: none reverted). */
export function revertsOf(flags: SimFlags = {}): RevertName[] {
  return (Object.keys(REVERTS) as RevertName[]).filter((name) =>
    Object.entries(REVERTS[name]).every(([key, value]) => flags[key as keyof SimFlags] === value),
  );
}

/**
 * Reverts the 'late' refusal of a dynamic task's creation in one process's driver: a first slot already past
 * is planned as given, as before the fix (the create still refuses an existing task).
 */
export function revertLateCreate(inner: CoordinationPort, store: MemoryStore): void {
  const port = inner.dynamicTasks;
  const create = port.create.bind(port);
  port.create = (taskId, definition, entry) => {
    // (In the task's partition: the store's own with one.)
    const part = store.of(taskId);
    if (entry.firstSlot > store.now() || part.dynamic.has(taskId)) return create(taskId, definition, entry);
    // (The driver's create runs synchronously: the task is stored by the time it returns.)
    const result = create(taskId, definition, { ...entry, firstSlot: store.now() + 1 });
    part.schedule.set(taskId, entry.firstSlot);
    return result;
  };
}
