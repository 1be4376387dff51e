import type { LoggerService } from '@nestjs/common';
import { realTimers, type EngineTimers, type TimerHandle } from './timers.js';

/** Settings of the watch (ms). */
export interface EventLoopWatchSettings {
  /** A block longer than this is reported. */
  thresholdMs: number;
  /** How often the watch looks at the event loop. */
  tickMs: number;
}

/**
 * Watches the main thread's event loop: a timer that fires late means the loop was blocked (a CPU-bound
 * handler, a long synchronous call). A block longer than `settings.thresholdMs` is logged loudly once the loop runs
 * again, with what was running (`describe`), because it delays every timer of the engine: heartbeats (when
 * they run on the main thread), the leader's renewals and its scheduling.
 */
export class EventLoopWatch {
  private timer?: TimerHandle;
  private last = 0;

  constructor(
    private readonly settings: EventLoopWatchSettings,
    private readonly describe: (blockedMs: number) => string,
    private readonly logger: LoggerService,
    private readonly timers: EngineTimers = realTimers,
  ) {}

  start(): void {
    this.stop();
    this.last = this.timers.monotonic();
    this.timer = this.timers.setInterval(() => this.tick(), this.settings.tickMs);
    this.timers.unref(this.timer);
  }

  stop(): void {
    this.timers.clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = this.timers.monotonic();
    const blockedMs = Math.round(now - this.last - this.settings.tickMs);
    this.last = now;
    if (blockedMs > this.settings.thresholdMs) this.logger.warn(this.describe(blockedMs + this.settings.tickMs));
  }
}
