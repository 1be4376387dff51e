/**
 * A run's priority on the wire, and its tag `<priority>|<message id>` (e.g. `h|1700000000000-0`): the value
 * of a task's `inflight` and `running_by` fields, and the key of a held run (stream ids are per stream, so a
 * high- and a normal-priority run published in the same millisecond share an id; the priority tells them
 * apart). Lua: includes/run-tag.lua.
 */

/** `h` high priority (stream high), `n` normal priority (stream normal). */
export type Priority = 'h' | 'n';

export function priorityOf(highPriority: boolean): Priority {
  return highPriority ? 'h' : 'n';
}

export function isHighPriority(priority: string): boolean {
  return priority === 'h';
}

/** The tag of the run `messageId` of a priority's stream. */
export function runTag(highPriority: boolean, messageId: string): string {
  return `${priorityOf(highPriority)}|${messageId}`;
}

/** The run a tag stands for. */
export function parseRunTag(tag: string): { highPriority: boolean; messageId: string } {
  return { highPriority: isHighPriority(tag.slice(0, 1)), messageId: tag.slice(2) };
}
