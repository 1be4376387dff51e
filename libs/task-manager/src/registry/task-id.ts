/**
 * A task's identity inside Redis: group and task name, each percent-encoded, joined by `/`.
 * Percent-encoding never produces `/`, `:`, `{`, `}` or whitespace, so the mapping is injective
 * (`a_b`+`c` and `a`+`b_c` differ) and ids never split ambiguously.
 */
export function encodeTaskId(group: string, task: string): string {
  return `${encodeURIComponent(group)}/${encodeURIComponent(task)}`;
}

/** Inverse of `encodeTaskId`. */
export function decodeTaskId(id: string): { group: string; task: string } {
  const slash = id.indexOf('/');
  if (slash < 0) throw new Error(`Malformed task id "${id}"`);
  return {
    group: decodeURIComponent(id.slice(0, slash)),
    task: decodeURIComponent(id.slice(slash + 1)),
  };
}

/** Id of one run of a task: the task and the slot it executes. */
export function runIdOf(taskId: string, slotMs: number, attempt = 1): string {
  return attempt > 1 ? `${taskId}@${slotMs}#${attempt}` : `${taskId}@${slotMs}`;
}
