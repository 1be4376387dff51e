// Run history chart: one bar per run (oldest left), height = duration, colour = outcome. Inline SVG built
// with DOM calls (no markup strings), with a title, a description and a tooltip per bar for assistive tech.
import { s } from './dom.js';
import { absoluteTime, duration, parseTime } from './format.js';

const WIDTH = 760;
const HEIGHT = 160;
const MARGIN = { top: 14, right: 12, bottom: 30, left: 64 };

/** A round upper bound for the duration axis. */
function niceMax(value) {
  if (!(value > 0)) return 0.001;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const factor of [1, 2, 2.5, 5, 10]) if (value <= factor * magnitude) return factor * magnitude;
  return 10 * magnitude;
}

let chartCount = 0;

/**
 * The chart of a task's runs (the latest `limit` of them).
 * @param {Array<{run_date: string, durations_second: number, status: string, error: string | null}>} runs
 *   oldest first, as `GET /tasks/{group}/{task}/statistics` returns them
 * @param {{ label: string, limit?: number }} options `label` names the task
 * @returns {SVGSVGElement}
 */
export function historyChart(runs, { label, limit = 60 }) {
  const shown = runs.slice(-limit);
  const id = `chart-${++chartCount}`;
  const failures = shown.filter((run) => run.status !== 'success').length;
  const latest = shown[shown.length - 1];
  const description =
    shown.length === 0
      ? 'No run recorded yet.'
      : `${shown.length} most recent run${shown.length === 1 ? '' : 's'}, ${failures} failed. Latest: ${
          latest.status
        } in ${duration(latest.durations_second)} at ${absoluteTime(parseTime(latest.run_date) ?? 0)}.`;
  const svg = s(
    'svg',
    {
      class: 'chart',
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: 'img',
      'aria-labelledby': `${id}-title ${id}-desc`,
      preserveAspectRatio: 'xMidYMid meet',
    },
    s('title', { id: `${id}-title` }, `Run history of ${label}: duration and status over time`),
    s('desc', { id: `${id}-desc` }, description),
  );
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const bottom = MARGIN.top + plotHeight;
  const max = niceMax(Math.max(0, ...shown.map((run) => run.durations_second).filter(Number.isFinite)));

  for (const fraction of [0, 0.5, 1]) {
    const y = bottom - fraction * plotHeight;
    svg.append(
      s('line', { class: 'grid', x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y, y2: y }),
      s('text', { class: 'axis', x: MARGIN.left - 8, y: y + 4, 'text-anchor': 'end' }, duration(fraction * max)),
    );
  }
  if (shown.length === 0) {
    svg.append(
      s(
        'text',
        { class: 'empty', x: MARGIN.left + plotWidth / 2, y: MARGIN.top + plotHeight / 2, 'text-anchor': 'middle' },
        'No runs yet',
      ),
    );
    return svg;
  }

  const slot = plotWidth / Math.max(shown.length, 10);
  const barWidth = Math.max(2, slot * 0.7);
  shown.forEach((run, i) => {
    const ok = run.status === 'success';
    const value = Number.isFinite(run.durations_second) ? run.durations_second : 0;
    const barHeight = Math.max(3, (Math.min(value, max) / max) * plotHeight);
    const x = MARGIN.left + i * slot + (slot - barWidth) / 2;
    const when = absoluteTime(parseTime(run.run_date) ?? 0);
    const tooltip = `${when}: ${ok ? 'success' : 'failed'} in ${duration(value)}${run.error ? ` (${run.error})` : ''}`;
    svg.append(
      s(
        'rect',
        {
          class: `bar ${ok ? 'success' : 'failed'}`,
          x: x.toFixed(1),
          y: (bottom - barHeight).toFixed(1),
          width: barWidth.toFixed(1),
          height: barHeight.toFixed(1),
          rx: 1.5,
        },
        s('title', {}, tooltip),
      ),
    );
    // Failures also get a mark above the bar, so that the outcome does not rest on colour alone.
    if (!ok) {
      svg.append(
        s(
          'text',
          {
            class: 'fail-mark',
            x: (x + barWidth / 2).toFixed(1),
            y: (bottom - barHeight - 3).toFixed(1),
            'text-anchor': 'middle',
            'aria-hidden': 'true',
          },
          '×',
        ),
      );
    }
  });
  const first = parseTime(shown[0].run_date);
  const last = parseTime(latest.run_date);
  svg.append(s('text', { class: 'axis', x: MARGIN.left, y: HEIGHT - 8 }, first === null ? '' : absoluteTime(first)));
  if (shown.length > 1 && last !== null) {
    svg.append(
      s('text', { class: 'axis', x: WIDTH - MARGIN.right, y: HEIGHT - 8, 'text-anchor': 'end' }, absoluteTime(last)),
    );
  }
  return svg;
}
