// The task manager's dashboard: reads the management API (GET /health, /tasks, /workers and a task's
// statistics) every few seconds and calls its mutating endpoints from the buttons. Plain ES module, no
// framework. Every value from the API is inserted as text (see dom.js), never as HTML.
import { api, describeError, segment, taskQuery } from './api.js';
import { h } from './dom.js';
import { backendBadge, parseTime, relativeTime } from './format.js';
import { renderHistory } from './history.js';
import { ACTIONS, taskRow } from './task-row.js';
import { createTask, deleteTask, editTask, pauseOrResumeAll, triggerWithArguments } from './task-actions.js';
import { countStates, inState, matchesSearch, STATES } from './task-state.js';
import { badge, timeCell } from './widgets.js';

const REFRESH_MS = 5000;

const $ = (id) => document.getElementById(id);
const ui = {
  health: $('health'),
  error: $('error'),
  notice: $('notice'),
  updated: $('updated'),
  auto: $('auto-refresh'),
  refresh: $('refresh-now'),
  search: $('search'),
  group: $('filter-group'),
  tag: $('filter-tag'),
  counts: $('state-counts'),
  newTask: $('new-task'),
  pauseAll: $('pause-all'),
  resumeAll: $('resume-all'),
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
  /** The state counted above the table that filters it ('' for none). */ only: '',
  /** The history's page (0: latest runs) and the runs whose details are open. */
  historyView: { page: 0, open: new Set() },
  loaded: false,
};

const taskLabel = (task) => `${task.task_group_name} / ${task.name}`;

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
  // A task selected while this read is in flight (one just created) may be missing from its answer: only a
  // selection older than the read is dropped when its task is gone; the refresh queued after it judges a newer one.
  const selected = state.selected;
  try {
    const [health, tasks, workers] = await Promise.all([api('health'), api('tasks'), api('workers')]);
    state.health = health;
    state.tasks = tasks;
    state.workers = workers;
    if (
      selected &&
      state.selected === selected &&
      !tasks.some((t) => t.task_group_name === selected.group && t.name === selected.task)
    ) {
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

async function act(action, task, button) {
  button.disabled = true;
  const name = taskLabel(task);
  try {
    await api(`tasks/${action}`, { method: 'POST', query: taskQuery(task) });
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

/** What the dialogs' actions (task-actions.js) report to. */
const actionPage = {
  tasks: () => state.tasks,
  done(message, selection) {
    clearError('action');
    showNotice(message);
    if (selection !== undefined) select(selection);
    void refresh();
  },
  failed: (message) => showError(message, 'action'),
  refresh,
};

function select(selection) {
  const same =
    selection !== null &&
    state.selected !== null &&
    selection.group === state.selected.group &&
    selection.task === state.selected.task;
  state.selected = selection;
  if (!same) {
    state.statistics = null;
    state.historyView = { page: 0, open: new Set() };
  }
  writeHash();
}

// --- Location hash: filters and selected task survive a reload -------------------------------------

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const group = params.get('task_group');
  const task = params.get('task');
  state.selected = group !== null && task !== null ? { group, task } : null;
  const only = params.get('state') ?? '';
  state.only = STATES.some(([name]) => name === only) ? only : '';
  return { group: params.get('group') ?? '', tag: params.get('tag') ?? '', search: params.get('q') ?? '' };
}

function writeHash() {
  const params = new URLSearchParams();
  if (ui.search.value) params.set('q', ui.search.value);
  if (ui.group.value) params.set('group', ui.group.value);
  if (ui.tag.value) params.set('tag', ui.tag.value);
  if (state.only) params.set('state', state.only);
  if (state.selected) {
    params.set('task_group', state.selected.group);
    params.set('task', state.selected.task);
  }
  const hash = params.toString();
  history.replaceState(null, '', hash ? `#${hash}` : `${location.pathname}${location.search}`);
}

// --- Rendering -------------------------------------------------------------------------------------

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

/** The tasks that pass the search box, the group and tag filters and the chosen state. */
function visibleTasks() {
  const group = ui.group.value;
  const tag = ui.tag.value;
  const now = Date.now();
  return state.tasks.filter(
    (task) =>
      (group === '' || task.task_group_name === group) &&
      (tag === '' || task.tags.includes(tag)) &&
      (state.only === '' || inState(task, state.only, now)) &&
      matchesSearch(task, ui.search.value),
  );
}

/** The count of tasks in each state; a click shows only the tasks in that state (again: all of them). */
function renderCounts() {
  const counts = countStates(state.tasks);
  ui.counts.replaceChildren(
    ...STATES.map(([name, label]) =>
      h(
        'button',
        {
          type: 'button',
          class: `count ${name}${counts[name] > 0 ? ' some' : ''}`,
          'data-state': name,
          'aria-pressed': String(state.only === name),
          title: state.only === name ? 'Show every task' : `Show only the tasks: ${label.toLowerCase()}`,
          onclick: () => {
            state.only = state.only === name ? '' : name;
            writeHash();
            renderCounts();
            renderTasks();
          },
        },
        h('span', { class: 'count-value' }, state.loaded ? String(counts[name]) : '–'),
        h('span', { class: 'count-label' }, label),
      ),
    ),
  );
  const paused = counts.disabled;
  ui.pauseAll.disabled = !state.loaded || state.tasks.length === 0 || paused === state.tasks.length;
  ui.resumeAll.disabled = !state.loaded || paused === 0;
}

/** The buttons of the selected task's panel: trigger with arguments; edit and delete a dynamic task. */
function taskActions(task) {
  if (!task) return [];
  const name = taskLabel(task);
  const button = (action, label, onclick, extra = {}) =>
    h('button', { type: 'button', class: `action ${action}`, 'data-action': action, onclick, ...extra }, label);
  return [
    button('trigger-with', 'Trigger with arguments…', () => void triggerWithArguments(actionPage, task), {
      'aria-label': `Trigger ${name} with arguments`,
      disabled: !task.is_active,
    }),
    task.dynamic
      ? button('edit', 'Edit…', () => void editTask(actionPage, task), { 'aria-label': `Edit ${name}` })
      : null,
    task.dynamic
      ? button('delete', 'Delete…', () => void deleteTask(actionPage, task), {
          'aria-label': `Delete ${name}`,
          class: 'action delete danger',
        })
      : null,
  ];
}

function renderTasks() {
  const shown = visibleTasks();
  // Keep the keyboard focus on the same button across the re-render.
  const focused = document.activeElement;
  const focusKey = focused?.closest?.('tr')?.getAttribute('data-key');
  const focusAction = focused?.getAttribute?.('data-action');
  ui.tasks.replaceChildren(
    ...shown.map((task) => {
      const selected =
        state.selected !== null && state.selected.group === task.task_group_name && state.selected.task === task.name;
      return taskRow(task, {
        selected,
        onAction: act,
        onHistory: () => {
          select(selected ? null : { group: task.task_group_name, task: task.name });
          render();
          void refresh();
        },
      });
    }),
  );
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

function renderSelected() {
  const selected = state.selected;
  const task = selected
    ? state.tasks.find((t) => t.task_group_name === selected.group && t.name === selected.task)
    : undefined;
  renderHistory(ui.history, {
    selected,
    task,
    statistics: state.statistics,
    view: state.historyView,
    actions: taskActions(task),
    rerender: renderSelected,
  });
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
    (({ kind, text }) => badge(kind, text))(backendBadge(health)),
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
  renderCounts();
  renderTasks();
  renderSelected();
  renderWorkers();
}

// --- Start -----------------------------------------------------------------------------------------

const filters = readHash();
// Until the tasks are loaded, the filters of the location hash are their only options.
if (filters.group) ui.group.append(h('option', { value: filters.group }, filters.group));
if (filters.tag) ui.tag.append(h('option', { value: filters.tag }, filters.tag));
ui.group.value = filters.group;
ui.tag.value = filters.tag;
ui.search.value = filters.search;
for (const control of [ui.group, ui.tag]) {
  control.addEventListener('change', () => {
    writeHash();
    renderTasks();
  });
}
ui.search.addEventListener('input', () => {
  writeHash();
  renderTasks();
});
ui.newTask.addEventListener('click', () => void createTask(actionPage));
ui.pauseAll.addEventListener('click', () => void pauseOrResumeAll(actionPage, true));
ui.resumeAll.addEventListener('click', () => void pauseOrResumeAll(actionPage, false));
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
