// The task manager's dashboard: reads the management API (GET /health, /tasks, /workers and a task's
// statistics) every few seconds and calls its mutating endpoints from the buttons. Plain ES module, no
// framework. Every value from the API is inserted as text (see dom.js), never as HTML.
import { historyChart } from './chart.js';
import { cronToWords } from './cron-words.js';
import { h } from './dom.js';
import { absoluteTime, duration, parseTime, relativeTime } from './format.js';

const REFRESH_MS = 5000;
/** Root of the API, given by the server relative to this page (works under any mount path or prefix). */
const apiRoot = new URL(document.querySelector('meta[name="task-manager-api"]')?.content ?? './', location.href);

const $ = (id) => document.getElementById(id);
const ui = {
  health: $('health'),
  error: $('error'),
  notice: $('notice'),
  updated: $('updated'),
  auto: $('auto-refresh'),
  refresh: $('refresh-now'),
  group: $('filter-group'),
  tag: $('filter-tag'),
  tasks: $('tasks-body'),
  tasksEmpty: $('tasks-empty'),
  taskCount: $('task-count'),
  history: $('history'),
  workers: $('workers-body'),
};

const state = {
  /** @type {any[]} */ tasks: [],
  /** @type {any[]} */ workers: [],
  /** @type {any} */ health: null,
  /** @type {{ group: string, task: string } | null} */ selected: null,
  /** @type {any} */ statistics: null,
  loaded: false,
};

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** A path segment of the API: percent-encoded, dots included (`.` and `..` would be resolved away). */
const segment = (name) => encodeURIComponent(name).replace(/\./g, '%2E');
const taskKey = (group, task) => JSON.stringify([group, task]);

/** Calls the API; resolves with the JSON body, rejects with an ApiError carrying its `detail`. */
async function api(path, { method = 'GET', query } = {}) {
  const url = new URL(path, apiRoot);
  for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value);
  const response = await fetch(url, {
    method,
    headers: { Accept: 'application/json' },
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = typeof body?.detail === 'string' ? body.detail : response.statusText;
    throw new ApiError(response.status, detail || `HTTP ${response.status}`);
  }
  return body;
}

function describeError(error) {
  if (error instanceof ApiError) {
    if (error.status === 401 || error.status === 403) return `Not allowed (${error.status}): ${error.message}`;
    return `${error.status}: ${error.message}`;
  }
  return `The API did not answer (${error instanceof Error ? error.message : String(error)})`;
}

/** What the error banner shows: a failed refresh, or a failed action (kept until the next action). */
let errorSource = null;
function showError(message, source) {
  errorSource = source;
  const dismiss = h('button', { type: 'button', class: 'dismiss', onclick: () => clearError(source) }, 'Dismiss');
  ui.error.replaceChildren(h('span', { class: 'message' }, message), dismiss);
  ui.error.hidden = false;
}
function clearError(source) {
  if (errorSource !== source) return;
  errorSource = null;
  ui.error.replaceChildren();
  ui.error.hidden = true;
}

let noticeTimer;
function showNotice(message) {
  ui.notice.replaceChildren(message);
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => ui.notice.replaceChildren(), 6000);
}

// --- Loading ---------------------------------------------------------------------------------------

let inFlight = null;
let queued = null;

/**
 * Reloads everything, one refresh at a time: a call during a refresh gets one more refresh after it (so
 * that what an action changed is read), however many calls were made meanwhile.
 */
function refresh() {
  if (!inFlight) {
    inFlight = load().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }
  queued ??= inFlight.then(() => {
    queued = null;
    return refresh();
  });
  return queued;
}

async function load() {
  try {
    const [health, tasks, workers] = await Promise.all([api('health'), api('tasks'), api('workers')]);
    state.health = health;
    state.tasks = tasks;
    state.workers = workers;
    const selected = state.selected;
    if (selected && !tasks.some((t) => t.task_group_name === selected.group && t.name === selected.task)) {
      select(null);
    }
    state.statistics = state.selected
      ? await api(`tasks/${segment(state.selected.group)}/${segment(state.selected.task)}/statistics`)
      : null;
    state.loaded = true;
    clearError('refresh');
    ui.updated.replaceChildren(`Updated ${new Date().toLocaleTimeString()}`);
  } catch (error) {
    showError(`Could not refresh: ${describeError(error)}`, 'refresh');
  }
  render();
}

// --- Actions ---------------------------------------------------------------------------------------

const ACTIONS = {
  trigger: { label: 'Trigger', done: 'Triggered' },
  disable: { label: 'Disable', done: 'Disabled' },
  enable: { label: 'Enable', done: 'Enabled' },
  'reset-retry': { label: 'Reset retry', done: 'Reset the retry backoff of' },
};

async function act(action, task, button) {
  button.disabled = true;
  const name = `${task.task_group_name} / ${task.name}`;
  try {
    await api(`tasks/${action}`, {
      method: 'POST',
      query: { task_group_name: task.task_group_name, task_name: task.name },
    });
    clearError('action');
    showNotice(`${ACTIONS[action].done} ${name}`);
    if (action === 'trigger' && !state.selected) select({ group: task.task_group_name, task: task.name });
  } catch (error) {
    showError(`${ACTIONS[action].label} ${name} failed: ${describeError(error)}`, 'action');
  } finally {
    button.disabled = false;
  }
  await refresh();
  // A triggered run usually completes within moments: look again soon rather than at the next tick.
  if (action === 'trigger') setTimeout(refresh, 1000);
}

function select(selection) {
  state.selected = selection;
  state.statistics = null;
  writeHash();
}

// --- Location hash: filters and selected task survive a reload -------------------------------------

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const group = params.get('task_group');
  const task = params.get('task');
  state.selected = group !== null && task !== null ? { group, task } : null;
  return { group: params.get('group') ?? '', tag: params.get('tag') ?? '' };
}

function writeHash() {
  const params = new URLSearchParams();
  if (ui.group.value) params.set('group', ui.group.value);
  if (ui.tag.value) params.set('tag', ui.tag.value);
  if (state.selected) {
    params.set('task_group', state.selected.group);
    params.set('task', state.selected.task);
  }
  const hash = params.toString();
  history.replaceState(null, '', hash ? `#${hash}` : `${location.pathname}${location.search}`);
}

// --- Rendering -------------------------------------------------------------------------------------

function timeCell(iso, empty) {
  const ms = parseTime(iso);
  if (ms === null) return h('span', { class: 'muted' }, empty);
  return h(
    'time',
    { datetime: iso, title: iso },
    h('span', { class: 'rel' }, relativeTime(ms)),
    h('span', { class: 'abs' }, absoluteTime(ms)),
  );
}

const badge = (kind, text) => h('span', { class: `badge ${kind}` }, text);

function setOptions(select, values, allLabel) {
  const current = select.value;
  const options = [h('option', { value: '' }, allLabel), ...values.map((value) => h('option', { value }, value))];
  select.replaceChildren(...options);
  select.value = values.includes(current) ? current : '';
}

function renderFilters() {
  const groups = [...new Set(state.tasks.map((t) => t.task_group_name))];
  const tags = [...new Set(state.tasks.flatMap((t) => t.tags))].sort();
  setOptions(ui.group, groups, 'All groups');
  setOptions(ui.tag, tags, 'All tags');
}

function scheduleCell(task) {
  const words = cronToWords(task.expression);
  return h(
    'td',
    { class: 'schedule' },
    words === task.expression ? null : h('span', { class: 'words' }, words),
    h('code', { title: `cron: ${task.expression}` }, task.expression),
  );
}

function backoffCell(task) {
  const after = parseTime(task.retry_after);
  if (after === null && task.retry_delay === null) return h('td', { class: 'muted' }, '—');
  return h(
    'td',
    { class: 'backoff' },
    after === null
      ? null
      : h(
          'time',
          { datetime: task.retry_after, title: task.retry_after },
          after > Date.now() ? `retry ${relativeTime(after)}` : `ended ${relativeTime(after)}`,
        ),
    task.retry_delay === null ? null : h('span', { class: 'abs' }, `delay ${duration(task.retry_delay)}`),
  );
}

function actionButton(action, task, label, extra = {}) {
  const name = `${task.task_group_name} / ${task.name}`;
  return h(
    'button',
    {
      type: 'button',
      class: `action ${action}`,
      'data-action': action,
      'aria-label': `${ACTIONS[action].label} ${name}`,
      title: `${ACTIONS[action].label} ${name}`,
      onclick: (event) => act(action, task, event.currentTarget),
      ...extra,
    },
    label,
  );
}

function taskRow(task) {
  const key = taskKey(task.task_group_name, task.name);
  const selected =
    state.selected !== null && state.selected.group === task.task_group_name && state.selected.task === task.name;
  const name = `${task.task_group_name} / ${task.name}`;
  const backoff = task.retry_after !== null || task.retry_delay !== null;
  return h(
    'tr',
    { 'data-key': key, class: selected ? 'selected' : null, 'aria-current': selected ? 'true' : null },
    h('td', { class: 'group' }, task.task_group_name),
    h(
      'th',
      { scope: 'row', class: 'name' },
      h('span', { class: 'task-name' }, task.name),
      task.dynamic ? badge('neutral', 'dynamic') : null,
      task.high_priority ? badge('neutral', 'high priority') : null,
      task.description ? h('span', { class: 'description' }, task.description) : null,
    ),
    scheduleCell(task),
    h('td', { class: 'zone' }, task.time_zone),
    h('td', { class: 'next' }, timeCell(task.next_run, task.is_active ? 'not scheduled' : '—')),
    h(
      'td',
      { class: 'last' },
      task.last_status === null
        ? h('span', { class: 'muted' }, 'never run')
        : badge(task.last_status === 'success' ? 'ok' : 'bad', task.last_status),
      task.last_run === null ? null : h('span', { class: 'abs' }, relativeTime(parseTime(task.last_run) ?? 0)),
    ),
    h(
      'td',
      { class: 'running' },
      task.is_running ? badge('running', 'running') : h('span', { class: 'muted' }, 'idle'),
    ),
    backoffCell(task),
    h('td', { class: 'enabled' }, task.is_active ? badge('ok', 'enabled') : badge('off', 'disabled')),
    h(
      'td',
      { class: 'actions' },
      h(
        'div',
        { class: 'buttons' },
        actionButton('trigger', task, 'Trigger'),
        task.is_active ? actionButton('disable', task, 'Disable') : actionButton('enable', task, 'Enable'),
        actionButton('reset-retry', task, 'Reset retry', { disabled: !backoff }),
        h(
          'button',
          {
            type: 'button',
            class: 'action history',
            'data-action': 'history',
            'aria-label': `History of ${name}`,
            'aria-pressed': String(selected),
            onclick: () => {
              select(selected ? null : { group: task.task_group_name, task: task.name });
              render();
              void refresh();
            },
          },
          'History',
        ),
      ),
    ),
  );
}

function renderTasks() {
  const group = ui.group.value;
  const tag = ui.tag.value;
  const shown = state.tasks.filter(
    (task) => (group === '' || task.task_group_name === group) && (tag === '' || task.tags.includes(tag)),
  );
  // Keep the keyboard focus on the same button across the re-render.
  const focused = document.activeElement;
  const focusKey = focused?.closest?.('tr')?.getAttribute('data-key');
  const focusAction = focused?.getAttribute?.('data-action');
  ui.tasks.replaceChildren(...shown.map(taskRow));
  if (focusKey && focusAction) {
    for (const row of ui.tasks.rows) {
      if (row.getAttribute('data-key') === focusKey) row.querySelector(`[data-action="${focusAction}"]`)?.focus();
    }
  }
  ui.tasksEmpty.hidden = !state.loaded || shown.length > 0;
  ui.taskCount.replaceChildren(
    state.loaded ? `${shown.length} of ${state.tasks.length} task${state.tasks.length === 1 ? '' : 's'}` : '',
  );
}

function renderHistory() {
  const selected = state.selected;
  if (!selected) {
    ui.history.replaceChildren(
      h('p', { class: 'muted' }, 'Choose "History" on a task to see its runs: duration and outcome over time.'),
    );
    return;
  }
  const label = `${selected.group} / ${selected.task}`;
  const stats = state.statistics;
  const heading = h('h3', {}, 'Runs of ', h('span', { class: 'task-name' }, label));
  if (!stats) {
    ui.history.replaceChildren(heading, h('p', { class: 'muted' }, 'Loading…'));
    return;
  }
  const { summary, runs } = stats;
  const facts = [
    ['Runs', String(summary.count)],
    ['Failures', String(summary.failures)],
    ['p50', duration(summary.p50_duration_second)],
    ['p95', duration(summary.p95_duration_second)],
    ['Last success', summary.last_success ? relativeTime(parseTime(summary.last_success) ?? 0) : '—'],
    ['Last failure', summary.last_failure ? relativeTime(parseTime(summary.last_failure) ?? 0) : '—'],
  ];
  const recent = runs.slice(-10).reverse();
  ui.history.replaceChildren(
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
    recent.length === 0
      ? h('p', { class: 'muted', id: 'runs-empty' }, 'No run recorded yet.')
      : h(
          'table',
          { class: 'runs', 'aria-label': `Latest runs of ${label}` },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Started', 'Duration', 'Status', 'Worker', 'Error'].map((title) => h('th', { scope: 'col' }, title)),
            ),
          ),
          h(
            'tbody',
            {},
            ...recent.map((run) =>
              h(
                'tr',
                {},
                h('td', {}, timeCell(run.run_date, '—')),
                h('td', {}, duration(run.durations_second)),
                h('td', {}, badge(run.status === 'success' ? 'ok' : 'bad', run.status)),
                h('td', { class: 'mono' }, run.worker_id),
                h('td', { class: 'error', title: run.error ?? '' }, run.error ?? ''),
              ),
            ),
          ),
        ),
  );
}

function renderWorkers() {
  const self = state.health?.worker_id;
  const workers = [...state.workers].sort(
    (a, b) => Number(b.is_leader) - Number(a.is_leader) || a.worker_id.localeCompare(b.worker_id),
  );
  const now = Date.now();
  ui.workers.replaceChildren(
    ...workers.map((worker) =>
      h(
        'tr',
        {},
        h(
          'th',
          { scope: 'row', class: 'mono' },
          worker.worker_id,
          worker.worker_id === self ? badge('neutral', 'this instance') : null,
        ),
        h('td', {}, worker.host),
        h('td', {}, String(worker.pid)),
        h('td', {}, timeCell(worker.started_at, '—')),
        h('td', {}, relativeTime(parseTime(worker.last_seen) ?? now, now)),
        h('td', {}, worker.is_leader ? badge('leader', 'leader') : h('span', { class: 'muted' }, 'follower')),
        h('td', {}, String(worker.running)),
      ),
    ),
  );
}

function renderHealth() {
  const health = state.health;
  if (!health) {
    ui.health.replaceChildren();
    return;
  }
  const leader = state.workers.find((w) => w.is_leader);
  ui.health.replaceChildren(
    badge(health.status === 'healthy' ? 'ok' : 'bad', health.status),
    badge(health.redis_connected ? 'ok' : 'bad', health.redis_connected ? 'Redis connected' : 'Redis unreachable'),
    h(
      'span',
      { class: 'leader' },
      'Leader: ',
      leader ? h('span', { class: 'mono' }, leader.worker_id) : h('span', { class: 'bad-text' }, 'none'),
    ),
    h('span', {}, `${state.workers.length} worker${state.workers.length === 1 ? '' : 's'}`),
  );
}

function render() {
  renderHealth();
  renderFilters();
  renderTasks();
  renderHistory();
  renderWorkers();
}

// --- Start -----------------------------------------------------------------------------------------

const filters = readHash();
// Until the tasks are loaded, the filters of the location hash are their only options.
if (filters.group) ui.group.append(h('option', { value: filters.group }, filters.group));
if (filters.tag) ui.tag.append(h('option', { value: filters.tag }, filters.tag));
ui.group.value = filters.group;
ui.tag.value = filters.tag;
for (const control of [ui.group, ui.tag]) {
  control.addEventListener('change', () => {
    writeHash();
    renderTasks();
  });
}
ui.refresh.addEventListener('click', () => void refresh());
ui.auto.addEventListener('change', () => {
  if (ui.auto.checked) void refresh();
});
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && ui.auto.checked) void refresh();
});
setInterval(() => {
  if (ui.auto.checked && !document.hidden) void refresh();
}, REFRESH_MS);
render();
void refresh();
