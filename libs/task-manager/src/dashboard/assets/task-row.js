// A row of the task table: the task's settings and live state, and its action buttons.
import { cronToWords } from './cron-words.js';
import { h } from './dom.js';
import { duration, parseTime, relativeTime } from './format.js';
import { badge, timeCell } from './widgets.js';

/** The buttons of a row: their label, and the start of the notice when done. */
export const ACTIONS = {
  trigger: { label: 'Trigger', done: 'Triggered' },
  disable: { label: 'Disable', done: 'Disabled' },
  enable: { label: 'Enable', done: 'Enabled' },
  'reset-retry': { label: 'Reset retry', done: 'Reset the retry backoff of' },
};

const taskLabel = (task) => `${task.task_group_name} / ${task.name}`;

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
    task.retry_delay === null ? null : h('span', { class: 'abs' }, `next delay ${duration(task.retry_delay)}`),
  );
}

function actionButton(action, task, label, onAction, extra = {}) {
  const name = taskLabel(task);
  return h(
    'button',
    {
      type: 'button',
      class: `action ${action}`,
      'data-action': action,
      'aria-label': `${ACTIONS[action].label} ${name}`,
      title: `${ACTIONS[action].label} ${name}`,
      onclick: (event) => onAction(action, task, event.currentTarget),
      ...extra,
    },
    label,
  );
}

/**
 * The row of a task in the table.
 * @param {any} task a `GET /tasks` item
 * @param {{ selected: boolean, onAction: (action: string, task: any, button: HTMLButtonElement) => void,
 *   onHistory: () => void }} options `selected`: its history is shown; `onAction` runs a button's action
 *   (a key of ACTIONS), `onHistory` shows or hides its history
 */
export function taskRow(task, { selected, onAction, onHistory }) {
  const key = JSON.stringify([task.task_group_name, task.name]);
  const name = taskLabel(task);
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
    h('td', { class: 'next' }, task.is_active ? timeCell(task.next_run, 'not scheduled') : badge('off', 'paused')),
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
        // A paused task does not run on a trigger either.
        actionButton(
          'trigger',
          task,
          'Trigger',
          onAction,
          task.is_active ? {} : { disabled: true, title: 'Paused: enable it first' },
        ),
        task.is_active
          ? actionButton('disable', task, 'Disable', onAction)
          : actionButton('enable', task, 'Enable', onAction),
        actionButton('reset-retry', task, 'Reset retry', onAction, { disabled: !backoff }),
        h(
          'button',
          {
            type: 'button',
            class: 'action history',
            'data-action': 'history',
            'aria-label': `History of ${name}`,
            'aria-pressed': String(selected),
            onclick: onHistory,
          },
          'History',
        ),
      ),
    ),
  );
}
