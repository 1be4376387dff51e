import type { EngineTimers, TimerHandle } from '../../libs/task-manager/src/engine/timers.js';
import type { Rng } from './prng.js';
import type { EventHandle, World } from './world.js';

/** What a simulated process is doing. */
export type HostState = 'running' | 'paused' | 'dead';

/**
 * One simulated process (an incarnation of an instance): everything that reaches it (its timers, replies,
 * change notices) goes through `deliver`, which drops it once the process is dead (SIGKILL: no cleanup) and
 * holds it while the process is paused (SIGSTOP), delivering in order on resume.
 */
export class SimHost {
  state: HostState = 'running';
  private held: Array<() => void> = [];

  constructor(
    readonly world: World,
    readonly name: string,
  ) {}

  /** Calls `fn(arg)` now, later (paused) or never (dead). */
  deliver<T>(fn: (arg: T) => void, arg?: T): void {
    if (this.state === 'dead') return;
    if (this.state === 'paused') this.held.push(() => fn(arg as T));
    else fn(arg as T);
  }

  pause(): void {
    if (this.state === 'running') this.state = 'paused';
  }

  /** Resumes: what arrived meanwhile is delivered in arrival order, one step each. */
  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'running';
    const held = this.held;
    this.held = [];
    held.forEach((fn, i) => this.world.after(i * 0.001, () => this.deliver(fn)));
  }

  kill(): void {
    this.state = 'dead';
    this.held = [];
  }
}

/** One armed timer: its handle (the engine's TimerHandle is opaque). */
interface Armed {
  event: EventHandle;
  fn: () => void;
  every?: number;
  /** Not cleared, and (a timeout) not fired yet. */
  live: boolean;
  /** Its firing was handed to a paused host and waits there (coalesced: one firing per timer). */
  waiting: boolean;
}

/**
 * An instance's local time source (EngineTimers) on the simulated world: its wall clock is skewed by
 * `skewMs` and drifts by `drift` (0.01: 1 % fast); its timers are world events, delivered through its host
 * (so a paused process fires them late, coalesced like Node's, and a dead one never). `unref`'d timers (the
 * event-loop watch: a simulated event loop never blocks, and it only logs) are dropped.
 */
export class SimTimers implements EngineTimers {
  private readonly origin: number;
  /** Timers armed now. */
  private armedCount = 0;

  constructor(
    private readonly world: World,
    private readonly host: SimHost,
    readonly skewMs: number,
    readonly drift: number,
    private readonly rng: Rng,
  ) {
    this.origin = world.now;
  }

  /** Local wall-clock time at true time `t`. */
  localAt(t: number): number {
    return t + this.skewMs + this.drift * (t - this.origin);
  }

  now(): number {
    return Math.floor(this.localAt(this.world.now));
  }

  monotonic(): number {
    return this.localAt(this.world.now) - this.localAt(this.origin);
  }

  /** True time that `ms` of this clock take. */
  trueMs(ms: number): number {
    return Math.max(0, ms) / (1 + this.drift);
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.arm(fn, ms);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.arm(fn, ms, Math.max(1, ms));
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    this.disarm(handle);
  }

  clearInterval(handle: TimerHandle | undefined): void {
    this.disarm(handle);
  }

  unref(handle: TimerHandle): void {
    this.disarm(handle);
  }

  random(): number {
    return this.rng.next();
  }

  /** Timers armed now (a leak shows here). */
  get size(): number {
    return this.armedCount;
  }

  private arm(fn: () => void, ms: number, every?: number): TimerHandle {
    const armed: Armed = { fn, every, live: true, waiting: false, event: undefined as unknown as EventHandle };
    armed.event = this.schedule(armed, ms);
    this.armedCount++;
    return armed as unknown as TimerHandle;
  }

  private schedule(armed: Armed, ms: number): EventHandle {
    return this.world.after(this.trueMs(ms), this.due, armed);
  }

  /** A timer's event came: it fires now (as `host.deliver` would, without a closure), or once its host resumes. */
  private readonly due = (armed: Armed): void => {
    if (!armed.live || armed.waiting) return;
    if (this.host.state === 'running') return this.fire(armed);
    armed.waiting = true;
    this.host.deliver(() => this.fire(armed));
  };

  private fire(armed: Armed): void {
    armed.waiting = false;
    if (!armed.live) return;
    if (armed.every === undefined) this.unarm(armed);
    else armed.event = this.schedule(armed, armed.every);
    armed.fn();
  }

  private disarm(handle: TimerHandle | undefined): void {
    const armed = handle as unknown as Armed | undefined;
    if (!armed?.live) return;
    this.world.cancel(armed.event);
    this.unarm(armed);
    armed.waiting = false;
  }

  private unarm(armed: Armed): void {
    armed.live = false;
    this.armedCount--;
  }
}
