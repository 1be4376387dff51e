// The dashboard's calls to the management API: JSON in, JSON out, errors carrying the API's `detail`.

/** Root of the API, given by the server relative to this page (works under any mount path or prefix). */
const apiRoot = new URL(document.querySelector('meta[name="task-manager-api"]')?.content ?? './', location.href);

/** An answer other than 2xx: its status and the API's `detail` (its `errors` too, when it lists several). */
export class ApiError extends Error {
  constructor(status, detail, errors) {
    super(detail);
    this.status = status;
    this.errors = errors;
  }
}

/** A path segment of the API: percent-encoded, dots included (`.` and `..` would be resolved away). */
export const segment = (name) => encodeURIComponent(name).replace(/\./g, '%2E');

/**
 * Calls the API; resolves with the JSON body, rejects with an ApiError carrying its `detail`.
 * @param {string} path relative to the API's root
 * @param {{ method?: string, query?: Record<string, string>, body?: unknown }} [options] `body` is sent as JSON
 */
export async function api(path, { method = 'GET', query, body } = {}) {
  const url = new URL(path, apiRoot);
  for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value);
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = typeof answer?.detail === 'string' ? answer.detail : response.statusText;
    const errors = Array.isArray(answer?.errors) ? answer.errors.map(String) : undefined;
    throw new ApiError(response.status, detail || `HTTP ${response.status}`, errors);
  }
  return answer;
}

/** A failed call in words: the API's status and detail, or why it did not answer. */
export function describeError(error) {
  if (error instanceof ApiError) {
    if (error.status === 401 || error.status === 403) return `Not allowed (${error.status}): ${error.message}`;
    return `${error.status}: ${error.message}`;
  }
  return `The API did not answer (${error instanceof Error ? error.message : String(error)})`;
}

/** The filter query of one task, as the bulk actions and `DELETE /tasks` take it. */
export const taskQuery = (task) => ({ task_group_name: task.task_group_name, task_name: task.name });
