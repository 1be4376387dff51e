// Number formatting of the soak report.

/** The `p`th percentile of an ascending list, or null when empty. */
export const percentile = (sorted, p) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
export const round = (n, digits = 0) => (n === null || n === undefined ? null : Number(n.toFixed(digits)));
export const mb = (bytes) => (bytes === undefined || bytes === null ? null : round(bytes / 1048576, 1));
export const sorted = (list) => [...list].sort((a, b) => a - b);
export const maxOf = (list) => (list.length === 0 ? null : Math.max(...list));
