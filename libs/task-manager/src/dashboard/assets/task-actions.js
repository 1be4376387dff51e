// The actions that open a dialog: create, edit, trigger with arguments and delete a task, pause or resume
// every task. Each reports to the page: `done` (a notice, a selection to make, then a refresh) or `failed`
// (the error banner).
import { api, describeError, taskQuery } from './api.js';
import { confirmDialog } from './dialogs.js';
import { h } from './dom.js';
import { openCreateForm, openEditForm, openTriggerForm } from './task-form.js';

/**
 * @typedef {object} ActionPage what an action needs of the page
 * @property {() => any[]} tasks the tasks as last loaded
 * @property {(message: string, selection?: { group: string, task: string } | null) => void} done
 *   reports a success; `selection` (when given) is the task to select, null for none; then refreshes
 * @property {(message: string) => void} failed reports a failure
 * @property {() => Promise<void>} refresh
 */

const taskLabel = (task) => `${task.task_group_name} / ${task.name}`;

/** Runs an action that opens a dialog; a failure to open it (e.g. a refused read) shows in the banner. */
async function withDialog(page, what, open) {
  try {
    await open();
  } catch (error) {
    page.failed(`${what} failed: ${describeError(error)}`);
  }
}

export function createTask(page) {
  return withDialog(page, 'New task', () =>
    openCreateForm({
      onSaved: (created) => {
        page.done(`Created ${created.task_group_name} / ${created.task_name}`, {
          group: created.task_group_name,
          task: created.task_name,
        });
      },
    }),
  );
}

export function editTask(page, task) {
  return withDialog(page, `Edit ${taskLabel(task)}`, () =>
    openEditForm(task, {
      onSaved: () => {
        page.done(`Saved ${taskLabel(task)}`);
      },
    }),
  );
}

export function triggerWithArguments(page, task) {
  return withDialog(page, `Trigger ${taskLabel(task)}`, () =>
    openTriggerForm(task, {
      onSaved: () => {
        page.done(`Triggered ${taskLabel(task)} with arguments`);
        // The run usually completes within moments: look again soon rather than at the next tick.
        setTimeout(page.refresh, 1000);
      },
    }),
  );
}

export async function deleteTask(page, task) {
  const name = taskLabel(task);
  const confirmed = await confirmDialog({
    title: `Delete ${name}?`,
    label: 'delete-task',
    message: [
      h('p', {}, 'The dynamic task ', h('strong', {}, name), ' is removed on every instance, with its run history.'),
      h('p', {}, 'A run in progress finishes; no run starts after this.'),
    ],
    confirm: 'Delete',
  });
  if (!confirmed) return;
  try {
    await api('tasks', { method: 'DELETE', query: taskQuery(task) });
    page.done(`Deleted ${name}`, null);
  } catch (error) {
    page.failed(`Delete ${name} failed: ${describeError(error)}`);
  }
}

/**
 * Global pause / resume: `POST /tasks/disable` or `/tasks/enable` without filters, which act on every task
 * registered now (tasks created later start enabled; resume also enables the tasks paused one by one).
 */
export async function pauseOrResumeAll(page, pause) {
  const tasks = page.tasks();
  const total = tasks.length;
  const paused = tasks.filter((t) => !t.is_active);
  const message = pause
    ? [
        h('p', {}, `Every task (${total}) stops running on its schedule and on triggers until resumed.`),
        h('p', {}, 'Runs in progress finish. Tasks created later start enabled.'),
      ]
    : [
        h('p', {}, `Every task (${total}) runs on its schedule again.`),
        paused.length === total
          ? null
          : h(
              'p',
              {},
              `This also enables the ${paused.length} task${paused.length === 1 ? '' : 's'} paused one by one.`,
            ),
      ];
  const confirmed = await confirmDialog({
    title: pause ? 'Pause every task?' : 'Resume every task?',
    label: pause ? 'pause-all' : 'resume-all',
    message,
    confirm: pause ? 'Pause all' : 'Resume all',
    danger: pause,
  });
  if (!confirmed) return;
  try {
    const answer = await api(pause ? 'tasks/disable' : 'tasks/enable', { method: 'POST' });
    page.done(`${pause ? 'Paused' : 'Resumed'} ${answer.count} task${answer.count === 1 ? '' : 's'}`);
  } catch (error) {
    page.failed(`${pause ? 'Pause' : 'Resume'} all failed: ${describeError(error)}`);
  }
}
