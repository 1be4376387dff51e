// tools/faults/clock-skew.mjs is a preload (`node --import`): it exports nothing. It shifts Date.now() and
// `new Date()` by TM_CLOCK_SKEW_MS and keeps the real time as `globalThis.__realDateNow()`.
export {};

declare global {
  /** The unshifted wall clock, set by the clock-skew preload when a skew is active. */
  var __realDateNow: (() => number) | undefined;
}
