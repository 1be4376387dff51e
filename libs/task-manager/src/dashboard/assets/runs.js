// A task's runs as the history table pages and details them, from `GET /tasks/{group}/{task}/statistics`
// (pure: tested under Node).

/** Rows of one page of the runs table. */
export const PAGE_SIZE = 10;

/**
 * One page of `runs` (oldest first, as the API answers them), newest first: page 0 is the latest runs.
 * @param {unknown[]} runs
 * @param {number} page asked for; clamped to the pages there are
 * @returns {{ rows: any[], page: number, pages: number, from: number, to: number, total: number }} `from`
 *   and `to` number the rows shown, 1 being the newest run (0 and 0 without runs)
 */
export function runPage(runs, page, size = PAGE_SIZE) {
  const total = runs.length;
  const pages = Math.max(1, Math.ceil(total / size));
  const current = Math.min(Math.max(0, Math.trunc(page) || 0), pages - 1);
  const newest = [...runs].reverse();
  const rows = newest.slice(current * size, (current + 1) * size);
  return {
    rows,
    page: current,
    pages,
    from: rows.length ? current * size + 1 : 0,
    to: current * size + rows.length,
    total,
  };
}

const KINDS = {
  scheduled: 'scheduled',
  misfire: 'scheduled (missed slot)',
  trigger: 'manual',
  retry: 'retry',
};

/** What started the run, in words, from its `kind`; null when the API does not say. */
export function runKind(run) {
  if (typeof run.kind !== 'string') return null;
  return KINDS[run.kind] ?? run.kind;
}

/** Identifies a run across refreshes (to keep its details open). */
export function runKey(run) {
  return JSON.stringify([run.started_at, run.worker_id, run.scheduled_at]);
}

/** Seconds between the run's slot and its start (positive: it started late); null when unknown. */
export function startDelay(run) {
  const slot = Date.parse(run.scheduled_at);
  const start = Date.parse(run.started_at);
  return Number.isFinite(slot) && Number.isFinite(start) ? (start - slot) / 1000 : null;
}
