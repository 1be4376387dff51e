import { setImmediate as nextTurn } from 'node:timers/promises';
import type { EngineTimers, TimerHandle } from '../../src/engine/timers.js';

interface Armed {
  at: number;
  seq: number;
  fn: () => void;
  /** Interval period; undefined for a one-shot timer. */
  every?: number;
}

/**
 * A fake time source for the engine: time stands still until a test advances it, and timers fire in time
 * order, each once the promise chains it started have settled. Real time is never read.
 */
export class ManualTimers implements EngineTimers {
  private clock: number;
  private readonly origin: number;
  private seq = 0;
  private readonly armed = new Map<number, Armed>();

  constructor(start = Date.UTC(2030, 0, 1, 12)) {
    this.clock = start;
    this.origin = start;
  }

  now(): number {
    return this.clock;
  }

  monotonic(): number {
    return this.clock - this.origin;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.arm(fn, ms);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.arm(fn, ms, Math.max(1, ms));
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    this.armed.delete(handle as unknown as number);
  }

  clearInterval(handle: TimerHandle | undefined): void {
    this.armed.delete(handle as unknown as number);
  }

  unref(): void {}

  random(): number {
    return 0.5;
  }

  /** Timers armed now. */
  get pending(): number {
    return this.armed.size;
  }

  /** Lets the promise chains started so far run (a few real event-loop turns; no fake time passes). */
  async settle(turns = 5): Promise<void> {
    for (let i = 0; i < turns; i++) await nextTurn();
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.clock + ms;
    for (;;) {
      await this.settle();
      const next = this.nextDue(target);
      if (!next) break;
      this.clock = Math.max(this.clock, next.at);
      if (next.every === undefined) this.armed.delete(next.seq);
      else next.at += next.every;
      next.fn();
    }
    this.clock = target;
    await this.settle();
  }

  /** Advances in `stepMs` steps until `predicate` holds; throws after `maxMs` of fake time. */
  async until(predicate: () => boolean, maxMs = 60_000, stepMs = 10): Promise<number> {
    const start = this.clock;
    await this.settle();
    while (!predicate()) {
      if (this.clock - start >= maxMs) throw new Error(`condition not met within ${maxMs} ms (fake time)`);
      await this.advance(stepMs);
    }
    return this.clock - start;
  }

  private arm(fn: () => void, ms: number, every?: number): TimerHandle {
    const seq = ++this.seq;
    this.armed.set(seq, { at: this.clock + Math.max(0, ms), seq, fn, every });
    return seq as unknown as TimerHandle;
  }

  private nextDue(target: number): Armed | undefined {
    let best: Armed | undefined;
    for (const timer of this.armed.values()) {
      if (timer.at > target) continue;
      if (!best || timer.at < best.at || (timer.at === best.at && timer.seq < best.seq)) best = timer;
    }
    return best;
  }
}
