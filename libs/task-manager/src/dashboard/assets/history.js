// The selected task's panel: its actions, its history as a chart and summary, and its runs, a page at a
// time, each with its details (slot and start, attempt, what started it, kwargs, worker, error and stack).
import { historyChart } from './chart.js';
import { h } from './dom.js';
import { duration, parseTime, relativeTime } from './format.js';
import { runKey, runKind, runPage, startDelay } from './runs.js';
import { badge, timeCell } from './widgets.js';

/**
 * Renders the panel into `container`.
 * @param {HTMLElement} container
 * @param {{ selected: { group: string, task: string } | null, task: any, statistics: any,
 *   view: { page: number, open: Set<string> }, actions: Node[], rerender: () => void }} options
 *   `task` is the selected `GET /tasks` item, `view` the page shown and the runs whose details are open
 */
export function renderHistory(container, { selected, task, statistics, view, actions, rerender }) {
  if (!selected) {
    container.replaceChildren(h('p', { class: 'muted' }, 'Choose "History" on a task to see its runs and act on it.'));
    return;
  }
  const label = `${selected.group} / ${selected.task}`;
  const heading = h(
    'div',
    { class: 'panel-head' },
    h('h3', {}, 'Runs of ', h('span', { class: 'task-name' }, label)),
    task ? h('div', { class: 'buttons task-actions' }, ...actions) : null,
  );
  if (!statistics) {
    container.replaceChildren(heading, h('p', { class: 'muted' }, 'Loading…'));
    return;
  }
  const { summary, runs } = statistics;
  const facts = [
    ['Runs', String(summary.count)],
    ['Failures', String(summary.failures)],
    ['p50', duration(summary.p50_duration_second)],
    ['p95', duration(summary.p95_duration_second)],
    ['Last success', summary.last_success ? relativeTime(parseTime(summary.last_success) ?? 0) : '—'],
    ['Last failure', summary.last_failure ? relativeTime(parseTime(summary.last_failure) ?? 0) : '—'],
  ];
  container.replaceChildren(
    heading,
    h(
      'div',
      { class: 'history-grid' },
      h('div', { class: 'chart-wrap' }, historyChart(runs, { label })),
      h(
        'div',
        { class: 'history-side' },
        h(
          'dl',
          { class: 'facts' },
          ...facts.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))),
        ),
        h(
          'p',
          { class: 'legend', 'aria-hidden': 'true' },
          h('span', { class: 'swatch success' }),
          'success',
          h('span', { class: 'swatch failed' }),
          'failed (×); bar height: duration',
        ),
      ),
    ),
    runs.length === 0
      ? h('p', { class: 'muted', id: 'runs-empty' }, 'No run recorded yet.')
      : runsTable(runs, label, view, rerender),
  );
}

const COLUMNS = ['Started', 'Started by', 'Attempt', 'Duration', 'Status', 'Worker', 'Error', ''];

function runsTable(runs, label, view, rerender) {
  const page = runPage(runs, view.page);
  view.page = page.page;
  const go = (to) => () => {
    view.page = to;
    rerender();
  };
  const pager = h(
    'div',
    { class: 'pager' },
    h(
      'button',
      { type: 'button', 'data-page': 'newer', disabled: page.page === 0, onclick: go(page.page - 1) },
      '‹ Newer',
    ),
    h('span', { class: 'page-info' }, `Runs ${page.from}–${page.to} of ${page.total} (newest first)`),
    h(
      'button',
      { type: 'button', 'data-page': 'older', disabled: page.page >= page.pages - 1, onclick: go(page.page + 1) },
      'Older ›',
    ),
  );
  return h(
    'div',
    { class: 'runs-wrap' },
    h(
      'table',
      { class: 'runs', 'aria-label': `Runs of ${label}` },
      h('thead', {}, h('tr', {}, ...COLUMNS.map((title) => h('th', { scope: 'col' }, title)))),
      h('tbody', {}, ...page.rows.flatMap((run, i) => runRows(run, page.from + i, view, rerender))),
    ),
    page.pages > 1 ? pager : null,
  );
}

/** A run's row, and its details row when open. */
function runRows(run, number, view, rerender) {
  const key = runKey(run);
  const open = view.open.has(key);
  const detailsId = `run-details-${number}`;
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'details-toggle',
      'aria-expanded': String(open),
      'aria-controls': open ? detailsId : null,
      'aria-label': `Details of run ${number}`,
      onclick: () => {
        if (open) view.open.delete(key);
        else view.open.add(key);
        rerender();
      },
    },
    open ? 'Hide' : 'Details',
  );
  const kind = runKind(run);
  const row = h(
    'tr',
    { class: open ? 'run open' : 'run', 'data-run': key },
    h('td', {}, timeCell(run.started_at ?? run.run_date, '—')),
    h('td', { class: 'kind' }, kind ?? h('span', { class: 'muted' }, '—')),
    h(
      'td',
      { class: 'attempt' },
      typeof run.attempt === 'number' ? String(run.attempt) : h('span', { class: 'muted' }, '—'),
    ),
    h('td', {}, duration(run.durations_second)),
    h('td', {}, badge(run.status === 'success' ? 'ok' : 'bad', run.status)),
    h('td', { class: 'mono' }, run.worker_id),
    h('td', { class: 'error', title: run.error ?? '' }, run.error ?? ''),
    h('td', {}, toggle),
  );
  if (!open) return [row];
  return [row, h('tr', { class: 'run-details', id: detailsId }, h('td', { colspan: COLUMNS.length }, runDetails(run)))];
}

/** Every field the API gives about one run. */
function runDetails(run) {
  const delay = startDelay(run);
  const facts = [
    ['Status', badge(run.status === 'success' ? 'ok' : 'bad', run.status)],
    ['Started by', runKind(run) ?? '—'],
    ['Attempt', typeof run.attempt === 'number' ? String(run.attempt) : '—'],
    ['Slot', timeCell(run.scheduled_at, '—')],
    [
      'Started',
      h(
        'span',
        {},
        timeCell(run.started_at, '—'),
        delay === null
          ? null
          : h(
              'span',
              { class: 'abs' },
              delay < 0 ? `${duration(-delay)} before its slot` : `${duration(delay)} after its slot`,
            ),
      ),
    ],
    ['Finished', timeCell(run.run_date, '—')],
    ['Duration', duration(run.durations_second)],
    ['Worker', h('span', { class: 'mono' }, run.worker_id)],
  ];
  return h(
    'div',
    { class: 'run-detail' },
    h(
      'dl',
      { class: 'facts run-facts' },
      ...facts.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))),
    ),
    run.kwargs === undefined
      ? null
      : h(
          'div',
          { class: 'block' },
          h('h4', {}, 'Kwargs'),
          run.kwargs === null
            ? h('p', { class: 'muted kwargs' }, "The task's own")
            : h('pre', { class: 'kwargs' }, JSON.stringify(run.kwargs, null, 2)),
        ),
    run.error ? h('div', { class: 'block' }, h('h4', {}, 'Error'), h('pre', { class: 'error-text' }, run.error)) : null,
    typeof run.error_stack === 'string' && run.error_stack
      ? h('div', { class: 'block' }, h('h4', {}, 'Stack trace'), h('pre', { class: 'stack' }, run.error_stack))
      : null,
  );
}
