// The forms that change tasks: create or edit a dynamic task, trigger a task with arguments. The server
// validates every value: its 4xx `detail` is shown in the form, which stays open until the call succeeds.
import { api, ApiError, describeError, taskQuery } from './api.js';
import { cronToWords } from './cron-words.js';
import { formDialog, formError, showFormError } from './dialogs.js';
import { h } from './dom.js';

let fieldCount = 0;

/** A labelled control; `hint` is shown under it. */
function field(label, control, hint) {
  const id = `field-${++fieldCount}`;
  control.id = id;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint instanceof Node ? hint : hint ? h('span', { class: 'hint' }, hint) : null,
  );
}

const input = (name, value = '', attributes = {}) =>
  h('input', { name, value: value ?? '', autocomplete: 'off', spellcheck: 'false', ...attributes });

function select(name, options, value) {
  const element = h('select', { name }, ...options.map(([v, text]) => h('option', { value: v }, text)));
  element.value = value;
  return element;
}

/** The kwargs editor: a JSON object. */
function kwargsEditor(kwargs) {
  const text = kwargs && Object.keys(kwargs).length > 0 ? JSON.stringify(kwargs, null, 2) : '{}';
  return h('textarea', { name: 'kwargs', rows: 5, spellcheck: 'false', class: 'mono' }, text);
}

/** The kwargs of the editor, or throws a message (the server checks the values, not the JSON syntax). */
function readKwargs(text) {
  if (text.trim() === '') return {};
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`Kwargs are not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('Kwargs must be a JSON object, e.g. {"recipient": "ops@example.com"}');
  }
  return value;
}

/** A number field's value: undefined when empty, else the number (or the text, for the server to refuse). */
function readNumber(text) {
  if (text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : text;
}

const readTags = (text) =>
  text
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);

/** Runs `call` and reports a refusal in `error`; resolves true on success. */
async function submitting(error, call) {
  try {
    showFormError(error, null);
    await call();
    return true;
  } catch (failure) {
    if (failure instanceof ApiError) showFormError(error, describeError(failure), failure.errors);
    else if (failure instanceof Error && !(failure instanceof TypeError)) showFormError(error, failure.message);
    else showFormError(error, describeError(failure));
    return false;
  }
}

const ZONES = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];

/**
 * The fields of a task's settings, filled from a `GET /tasks` item (or empty). Returns the fields and a
 * reader of their values (snake_case, as `POST /tasks` and `PATCH /tasks` take them).
 */
function settingsFields(task, groupTags) {
  const cron = input('cron_expression', task?.expression, {
    required: true,
    class: 'mono',
    placeholder: '*/5 * * * *',
  });
  const words = h('span', { class: 'hint cron-words' });
  const describe = () => {
    const text = cron.value.trim();
    const inWords = text ? cronToWords(text) : '';
    words.replaceChildren(inWords && inWords !== text ? inWords : '');
  };
  cron.addEventListener('input', describe);
  describe();
  const zones = h('datalist', { id: 'time-zones' }, ...ZONES.map((zone) => h('option', { value: zone })));
  const ownTags = (task?.tags ?? []).filter((tag) => !groupTags.includes(tag));
  const controls = {
    cron,
    zone: input('time_zone', task?.time_zone, { list: 'time-zones', placeholder: 'module default' }),
    description: input('description', task?.description),
    tags: input('tags', ownTags.join(', '), { placeholder: 'billing, nightly' }),
    kwargs: kwargsEditor(task?.kwargs),
    priority: h('input', { type: 'checkbox', name: 'high_priority', checked: Boolean(task?.high_priority) }),
    parallel: select(
      'allow_parallel',
      [
        ['', 'inherit'],
        ['true', 'yes'],
        ['false', 'no'],
      ],
      task?.allow_parallel === true ? 'true' : task?.allow_parallel === false ? 'false' : '',
    ),
    backoff: input('retry_backoff', task?.retry_backoff, { inputmode: 'decimal', placeholder: 'default' }),
    backoffMax: input('retry_backoff_max', task?.retry_backoff_max, { inputmode: 'decimal', placeholder: 'default' }),
    attempts: input('max_attempts', task?.max_attempts, { inputmode: 'numeric', placeholder: 'default' }),
    timeout: input('timeout_ms', task?.timeout_ms, { inputmode: 'numeric', placeholder: 'none' }),
    misfire: select(
      'misfire_policy',
      [
        ['', 'default'],
        ['runOnce', 'run once'],
        ['skip', 'skip'],
        ['runAll', 'run all'],
      ],
      task?.misfire_policy ?? '',
    ),
  };
  const fields = [
    field('Cron expression', cron, words),
    field('Time zone', controls.zone, zones),
    field('Description', controls.description),
    field(
      'Tags',
      controls.tags,
      groupTags.length ? `comma-separated; the group adds ${groupTags.join(', ')}` : 'comma-separated',
    ),
    field('Kwargs (JSON object)', controls.kwargs, 'Passed to the function; the server checks them.'),
    h('label', { class: 'check' }, controls.priority, 'High priority'),
    h(
      'details',
      { class: 'advanced' },
      h('summary', {}, 'Retries, timeout, misfires'),
      h(
        'div',
        { class: 'field-grid' },
        field('Allow parallel runs', controls.parallel),
        field('Max attempts', controls.attempts),
        field('Timeout (ms)', controls.timeout),
        field('Retry backoff (s)', controls.backoff),
        field('Retry backoff max (s)', controls.backoffMax),
        field('Misfire policy', controls.misfire),
      ),
    ),
  ];
  /** Every value as sent; `undefined` for an empty optional field. */
  const read = () => ({
    cron_expression: cron.value.trim(),
    time_zone: controls.zone.value.trim() || undefined,
    description: controls.description.value.trim() || undefined,
    tags: readTags(controls.tags.value),
    kwargs: readKwargs(controls.kwargs.value),
    high_priority: controls.priority.checked,
    allow_parallel: controls.parallel.value === '' ? undefined : controls.parallel.value === 'true',
    max_attempts: readNumber(controls.attempts.value),
    timeout_ms: readNumber(controls.timeout.value),
    retry_backoff: readNumber(controls.backoff.value),
    retry_backoff_max: readNumber(controls.backoffMax.value),
    misfire_policy: controls.misfire.value || undefined,
  });
  return { fields, read };
}

/**
 * "New task": a dynamic task of a registered function (`GET /functions`), created with `POST /tasks`.
 * @param {{ onSaved: (created: any) => void }} options
 */
export async function openCreateForm({ onSaved }) {
  const [{ functions }, groups] = await Promise.all([api('functions'), api('task-groups')]);
  const error = formError();
  const groupNames = [...new Set(functions.map((f) => f.task_group_name))];
  const group = select(
    'task_group_name',
    groupNames.map((name) => [name, name]),
    groupNames[0] ?? '',
  );
  const fn = h('select', { name: 'function_name' });
  const fillFunctions = () =>
    fn.replaceChildren(
      ...functions
        .filter((f) => f.task_group_name === group.value)
        .map((f) => h('option', { value: f.function_name }, f.function_name)),
    );
  group.addEventListener('change', fillFunctions);
  fillFunctions();
  const name = input('name', '', { placeholder: 'generated from the function' });
  const tagsOf = (groupName) => groups.find((g) => g.name === groupName)?.tags ?? [];
  const settings = settingsFields(null, tagsOf(group.value));
  const body = [
    functions.length === 0
      ? h(
          'p',
          { class: 'muted' },
          'No function is registered for dynamic tasks (@RegisterFunction, or a @Task method).',
        )
      : null,
    h('div', { class: 'field-grid' }, field('Group', group), field('Function', fn), field('Name', name)),
    ...settings.fields,
    error,
  ];
  return formDialog({
    title: 'New dynamic task',
    label: 'create-task',
    submit: 'Create',
    body,
    onSubmit: () =>
      submitting(error, async () => {
        const values = settings.read();
        const request = { task_group_name: group.value, function_name: fn.value, ...values };
        if (name.value.trim()) request.name = name.value.trim();
        if (values.tags.length === 0) delete request.tags;
        if (!values.high_priority) delete request.high_priority;
        onSaved(await api('tasks', { method: 'POST', body: withoutUndefined(request) }));
      }),
  });
}

/**
 * "Edit": changes the settings of a dynamic task with `PATCH /tasks`, sending only the fields that changed.
 * @param {any} task a `GET /tasks` item
 * @param {{ onSaved: (updated: any) => void }} options
 */
export async function openEditForm(task, { onSaved }) {
  const groups = await api('task-groups', { query: { name: task.task_group_name } });
  const error = formError();
  const settings = settingsFields(task, groups[0]?.tags ?? []);
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: task.is_active });
  const initial = { ...settings.read(), enabled: task.is_active };
  return formDialog({
    title: `Edit ${task.task_group_name} / ${task.name}`,
    label: 'edit-task',
    submit: 'Save',
    body: [
      h('p', { class: 'muted' }, `Function ${task.function_name ?? '—'}; the group and the name cannot change.`),
      ...settings.fields,
      h('label', { class: 'check' }, enabled, 'Enabled'),
      error,
    ],
    onSubmit: () =>
      submitting(error, async () => {
        const values = { ...settings.read(), enabled: enabled.checked };
        const changes = {};
        for (const [key, value] of Object.entries(values)) {
          if (JSON.stringify(value) === JSON.stringify(initial[key])) continue;
          // An emptied field goes back to its default.
          changes[key] = value === undefined ? null : value;
        }
        if (Object.keys(changes).length === 0) throw new Error('Nothing changed.');
        onSaved(await api('tasks', { method: 'PATCH', query: taskQuery(task), body: changes }));
      }),
  });
}

/**
 * "Trigger with arguments": runs the task once now with the kwargs of the editor (`POST /tasks/trigger`
 * with a `{"kwargs": ...}` body), the task's own kwargs unchanged.
 * @param {any} task a `GET /tasks` item
 * @param {{ onSaved: () => void }} options
 */
export function openTriggerForm(task, { onSaved }) {
  const error = formError();
  const kwargs = kwargsEditor(task.kwargs);
  return formDialog({
    title: `Trigger ${task.task_group_name} / ${task.name}`,
    label: 'trigger-task',
    submit: 'Trigger',
    body: [
      h('p', { class: 'muted' }, 'Runs the task once now with these kwargs; its own kwargs and schedule stay.'),
      field('Kwargs (JSON object)', kwargs, 'The server checks them as it checks a task’s kwargs.'),
      error,
    ],
    onSubmit: () =>
      submitting(error, async () => {
        const body = { kwargs: readKwargs(kwargs.value) };
        await api('tasks/trigger', { method: 'POST', query: taskQuery(task), body });
        onSaved();
      }),
  });
}

function withoutUndefined(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}
