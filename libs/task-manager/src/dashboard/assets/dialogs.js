// Modal dialogs (native <dialog>): a confirmation before a destructive action, and the frame of the forms.
// Escape or "Cancel" closes them without acting.
import { append, h } from './dom.js';

/**
 * Opens a modal dialog holding a form; `onSubmit` runs on "submit" (Enter or the submit button) and closes
 * the dialog when it resolves true (false keeps it open, e.g. to show the server's refusal).
 * @param {{ title: string, label: string, body: Node[], submit: string, danger?: boolean,
 *   onSubmit: (form: HTMLFormElement) => Promise<boolean> }} options
 * @returns {Promise<boolean>} whether it was submitted and closed
 */
export function formDialog({ title, label, body, submit, danger = false, onSubmit }) {
  return new Promise((resolve) => {
    let done = false;
    const titleId = `dialog-title-${Math.random().toString(36).slice(2)}`;
    const submitButton = h('button', { type: 'submit', class: danger ? 'primary danger' : 'primary' }, submit);
    const form = h(
      'form',
      { novalidate: true, onsubmit: (event) => void submitted(event) },
      h('h2', { id: titleId }, title),
      ...body,
      h(
        'div',
        { class: 'dialog-buttons' },
        h('button', { type: 'button', class: 'cancel', onclick: () => dialog.close() }, 'Cancel'),
        submitButton,
      ),
    );
    const dialog = h('dialog', { class: 'modal', 'aria-labelledby': titleId, 'data-dialog': label }, form);
    async function submitted(event) {
      event.preventDefault();
      submitButton.disabled = true;
      try {
        if (await onSubmit(form)) {
          done = true;
          dialog.close();
        }
      } finally {
        submitButton.disabled = false;
      }
    }
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(done);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * Asks for confirmation; resolves true when confirmed.
 * @param {{ title: string, label: string, message: Node[] | string, confirm: string, danger?: boolean }} options
 */
export function confirmDialog({ title, label, message, confirm, danger = true }) {
  return formDialog({
    title,
    label,
    body: [h('div', { class: 'dialog-message' }, message)],
    submit: confirm,
    danger,
    onSubmit: async () => true,
  });
}

/** The place of a form's error (the server's `detail`), shown next to its buttons. */
export function formError() {
  return h('p', { class: 'form-error', role: 'alert', hidden: true });
}

/** Shows `message` (and `errors`, when several) in a form error; null hides it. */
export function showFormError(element, message, errors) {
  const list = errors && errors.length > 1 ? h('ul', {}, ...errors.map((error) => h('li', {}, error))) : null;
  element.replaceChildren();
  append(element, [message, list]);
  element.hidden = message === null;
}
