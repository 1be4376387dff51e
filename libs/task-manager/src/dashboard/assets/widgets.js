// Small pieces of the page shared by its views: badges and instants.
import { h } from './dom.js';
import { absoluteTime, parseTime, relativeTime } from './format.js';

/** A pill: `kind` is ok, bad, off, neutral, running or leader. */
export const badge = (kind, text) => h('span', { class: `badge ${kind}` }, text);

/** An instant, relative and absolute (`empty` when there is none). */
export function timeCell(iso, empty) {
  const ms = parseTime(iso);
  if (ms === null) return h('span', { class: 'muted' }, empty);
  return h(
    'time',
    { datetime: iso, title: iso },
    h('span', { class: 'rel' }, relativeTime(ms)),
    h('span', { class: 'abs' }, absoluteTime(ms)),
  );
}
