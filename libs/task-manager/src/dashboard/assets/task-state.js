// What the task table counts and filters on, from `GET /tasks` items (pure: tested under Node).

/** The states counted above the table, in display order, with their labels. */
export const STATES = [
  ['running', 'Running'],
  ['failed', 'Failed last run'],
  ['backoff', 'In backoff'],
  ['disabled', 'Disabled'],
];

/**
 * Whether `task` is in `state`: `running` (a run executes now), `failed` (its latest run failed), `backoff`
 * (not scheduled before a retry time still to come), `disabled` (paused).
 * @param {{ is_running: boolean, last_status: string | null, retry_after: string | null, is_active: boolean }} task
 * @param {string} state
 * @param {number} [now] epoch ms
 */
export function inState(task, state, now = Date.now()) {
  switch (state) {
    case 'running':
      return task.is_running;
    case 'failed':
      return task.last_status === 'failed';
    case 'backoff': {
      const after = typeof task.retry_after === 'string' ? Date.parse(task.retry_after) : NaN;
      return Number.isFinite(after) && after > now;
    }
    case 'disabled':
      return !task.is_active;
    default:
      return true;
  }
}

/** Number of `tasks` in each state of {@link STATES}. */
export function countStates(tasks, now = Date.now()) {
  return Object.fromEntries(STATES.map(([state]) => [state, tasks.filter((t) => inState(t, state, now)).length]));
}

/**
 * Whether `task` matches the search box: every word of `search` (case-insensitive) is part of the task's
 * name, its group's name or one of its tags.
 * @param {{ name: string, task_group_name: string, tags: string[] }} task
 * @param {string} search
 */
export function matchesSearch(task, search) {
  const words = search.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const fields = [task.name, task.task_group_name, ...task.tags].map((field) => field.toLocaleLowerCase());
  return words.every((word) => fields.some((field) => field.includes(word)));
}
