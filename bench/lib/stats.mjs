// Small statistics helpers shared by the scenarios.

/** Sorted copy of the finite numbers of `values`. */
export function sorted(values) {
  return values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
}

/** Percentile `p` (0-100) of `values`, nearest-rank on the sorted values; null when empty. */
export function percentile(values, p, alreadySorted = false) {
  const s = alreadySorted ? values : sorted(values);
  if (s.length === 0) return null;
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}

/** Median of `values` (mean of the two middle values for an even count); null when empty. */
export function median(values) {
  const s = sorted(values);
  if (s.length === 0) return null;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** `{ median, min, max, n, values }` of the finite numbers of `values` (null fields when there are none). */
export function summarize(values) {
  const s = sorted(values);
  return {
    median: median(s),
    min: s.length ? s[0] : null,
    max: s.length ? s[s.length - 1] : null,
    n: s.length,
    values: values.map((v) => (Number.isFinite(v) ? round(v, 3) : null)),
  };
}

/** Latency distribution of `values` (ms): p50, p90, p99, max, mean, count. */
export function distribution(values) {
  const s = sorted(values);
  if (s.length === 0) return { n: 0, p50: null, p90: null, p99: null, max: null, mean: null };
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return {
    n: s.length,
    p50: round(percentile(s, 50, true), 3),
    p90: round(percentile(s, 90, true), 3),
    p99: round(percentile(s, 99, true), 3),
    max: round(s[s.length - 1], 3),
    mean: round(mean, 3),
  };
}

/** Rounds to `digits` decimals (null stays null). */
export function round(value, digits = 2) {
  if (value === null || value === undefined || !Number.isFinite(value)) return value ?? null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Summaries of each numeric field `key` of `runs` (an array of objects). */
export function summarizeField(runs, key) {
  return summarize(runs.map((r) => pick(r, key)));
}

/** Reads a dotted path (`a.b.c`) of `object`. */
export function pick(object, path) {
  let value = object;
  for (const part of path.split('.')) value = value?.[part];
  return typeof value === 'number' ? value : NaN;
}
