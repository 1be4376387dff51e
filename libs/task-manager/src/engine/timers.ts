declare const timerHandle: unique symbol;

/** An armed timer, to cancel it (opaque: a fake time source hands out its own). */
export type TimerHandle = { readonly [timerHandle]: true };

/**
 * The engine's only source of local time, timers and jitter. Every loop (consumer, election, scheduler,
 * reconciler, lease keeper, sweep, run timeouts, start-up retries, the event-loop watch) takes it from its
 * parts instead of the globals, so one fake implementation can drive the whole engine (tests, a
 * deterministic simulator). Cluster-wide time decisions still use the ClusterClock, which reads its local
 * time from here too.
 */
export interface EngineTimers {
  /** Local wall-clock time (ms since the epoch), as Date.now(). */
  now(): number;
  /** Monotonic time (ms, arbitrary origin) for measuring durations, as performance.now(). */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | undefined): void;
  /** Keeps the timer from holding the process open (a watch that must not delay exit). */
  unref(handle: TimerHandle): void;
  /** A number in [0, 1) for jitter, as Math.random(). */
  random(): number;
}

/**
 * Injection token of the engine's time source: none is provided by the module (the real one is used); a
 * test or a simulation provides a fake one.
 */
export const TASK_MANAGER_TIMERS = Symbol('TASK_MANAGER_TIMERS');

type NodeTimer = ReturnType<typeof globalThis.setTimeout>;
const toHandle = (timer: NodeTimer) => timer as unknown as TimerHandle;
const toTimer = (handle: TimerHandle | undefined) => handle as unknown as NodeTimer | undefined;

/**
 * The real time source: Node's timers and clocks. (The globals are read at each call, so that test tools
 * that replace them still apply.)
 */
export const realTimers: EngineTimers = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => toHandle(globalThis.setTimeout(fn, ms)),
  clearTimeout: (handle) => globalThis.clearTimeout(toTimer(handle)),
  setInterval: (fn, ms) => toHandle(globalThis.setInterval(fn, ms)),
  clearInterval: (handle) => globalThis.clearInterval(toTimer(handle)),
  unref: (handle) => void toTimer(handle)?.unref(),
  random: () => Math.random(),
};

/** Resolves after `ms` on `timers`. */
export function sleep(timers: EngineTimers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.setTimeout(resolve, ms));
}
