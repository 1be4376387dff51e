/**
 * An epoch-milliseconds instant as ISO-8601 UTC with a `Z`, as FastAPI/pydantic writes it: without a
 * fraction when it is whole seconds (`2026-03-08T10:05:00Z`), else with milliseconds.
 */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** `isoTime`, or null for a missing or non-finite instant. */
export function isoTimeOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? null : isoTime(ms);
}
