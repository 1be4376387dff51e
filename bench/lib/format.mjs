// Number and table formatting shared by the report's modules (report.mjs, report-load.mjs).

export const n0 = (v) =>
  v === null || v === undefined || Number.isNaN(v) ? '—' : Math.round(v).toLocaleString('en-US');
export const n1 = (v) =>
  v === null || v === undefined || Number.isNaN(v) ? '—' : (Math.round(v * 10) / 10).toLocaleString('en-US');
export const n2 = (v) =>
  v === null || v === undefined || Number.isNaN(v) ? '—' : (Math.round(v * 100) / 100).toLocaleString('en-US');
export const auto = (v) =>
  v === null || v === undefined ? '—' : Math.abs(v) >= 100 ? n0(v) : Math.abs(v) >= 10 ? n1(v) : n2(v);
export const sec = (ms) => (ms === null || ms === undefined ? '—' : `${n2(ms / 1000)} s`);

/** "median (min–max)" of a summary, or the single value. */
export function range(s, fmt = auto, unit = '') {
  if (!s || s.median === null || s.median === undefined) return '—';
  if (s.n <= 1 || s.min === s.max) return `${fmt(s.median)}${unit}`;
  return `${fmt(s.median)}${unit} (${fmt(s.min)}–${fmt(s.max)})`;
}

export const ratio = (ours, theirs) => (ours === null || ours === undefined || !theirs ? '—' : `${n2(ours / theirs)}×`);
export const mark = (ok) => (ok === null || ok === undefined ? '?' : ok ? '✅ met' : '❌ missed');
export const med = (s) => s?.median ?? null;

export function table(headers, lines) {
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...lines.map((l) => `| ${l.join(' | ')} |`),
  ].join('\n');
}
