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

  deliver(fn: () => void): void {
    if (this.state === 'dead') return;
    if (this.state === 'paused') this.held.push(fn);
    else fn();
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

interface Armed {
  event: EventHandle;
  fn: () => void;
  every?: number;
}

/**
 * An instance's local time source (EngineTimers) on the simulated world: its wall clock is skewed by
 * `skewMs` and drifts by `drift` (0.01: 1 % fast); its timers are world events, delivered through its host
 * (so a paused process fires them late, coalesced like Node's, and a dead one never). `unref`'d timers (the
 * event-loop watch: a simulated event loop never blocks, and it only logs) are dropped.
 */
export class SimTimers implements EngineTimers {
  private readonly origin: number;
  private seq = 0;
  private readonly armed = new Map<number, Armed>();
  /** Deferred firings of a paused host, coalesced per timer. */
  private readonly waiting = new Set<number>();

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
    return this.armed.size;
  }

  private arm(fn: () => void, ms: number, every?: number): TimerHandle {
    const id = ++this.seq;
    const armed: Armed = { fn, every, event: this.schedule(id, ms) };
    this.armed.set(id, armed);
    return id as unknown as TimerHandle;
  }

  private schedule(id: number, ms: number): EventHandle {
    return this.world.after(this.trueMs(ms), () => {
      if (!this.armed.has(id) || this.waiting.has(id)) return;
      this.waiting.add(id);
      this.host.deliver(() => this.fire(id));
    });
  }

  private fire(id: number): void {
    this.waiting.delete(id);
    const armed = this.armed.get(id);
    if (!armed) return;
    if (armed.every === undefined) this.armed.delete(id);
    else armed.event = this.schedule(id, armed.every);
    armed.fn();
  }

  private disarm(handle: TimerHandle | undefined): void {
    const id = handle as unknown as number;
    const armed = this.armed.get(id);
    if (!armed) return;
    this.world.cancel(armed.event);
    this.armed.delete(id);
    this.waiting.delete(id);
  }
}
