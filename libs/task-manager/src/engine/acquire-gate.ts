import type { GateVerdict } from './lease-balancer.js';

/**
 * Whether this instance should try for one partition's lease now (several partitions: the lease balancer's
 * view of that partition). An elector with a gate asks it before each acquisition: on 'open' it tries at once,
 * on 'yield' one yield delay after the lease is free (so that an instance below its share takes it first; a
 * free lease is never left unled), when the gate lets it then. Each attempt is reserved before it is sent and
 * settled when it answers.
 */
export interface AcquireGate {
  /** How much later than an open one a yielding elector tries (ms). */
  readonly yieldMs: number;
  gate(): GateVerdict;
  /** The yield delay ended with the gate still at 'yield': whether to try now (else wait another delay). */
  yieldOver(): boolean;
  reserve(): void;
  /** The attempt answered: the lease taken (at cluster time `nowMs`), or not (refused, failed, or given back). */
  settle(acquired: boolean, nowMs: number): void;
  /** The lease is free or due to expire: its holder may be dead, which this instance may not know yet. */
  refresh(): void;
}

/**
 * When a gated elector tries for its lease (local times). It knows when the lease is free as far as it can
 * tell: when the last refusal said it would expire, or when its release was announced. A yield delay runs from
 * there; at that moment the gate is asked to refresh its view (the holder may be dead), once per expiry.
 */
export class YieldWait {
  /** When a yielding elector tries (undefined: not yielding). */
  private until?: number;
  /** When the lease is free, as far as this elector knows. */
  private freeAt = -Infinity;
  /** The expiry the gate was last asked to refresh for. */
  private refreshedFor?: number;

  constructor(private readonly gate: AcquireGate) {}

  get yielding(): boolean {
    return this.until !== undefined;
  }

  /** A release was announced: the lease is free now; a yield delay starts again from now. */
  released(now: number): void {
    this.freeAt = now;
    this.until = undefined;
  }

  /** A refusal said the lease expires at `at`. */
  refused(at: number): void {
    this.freeAt = at;
  }

  /** How long to wait before trying, at `now`; undefined: try now. */
  wait(now: number): number | undefined {
    if (this.gate.gate() === 'open') {
      this.until = undefined;
      return undefined;
    }
    this.until ??= Math.max(now, this.freeAt) + this.gate.yieldMs;
    // Woken at the expiry: is its holder still alive?
    if (now < this.freeAt) return this.freeAt - now;
    if (this.refreshedFor !== this.freeAt) {
      this.refreshedFor = this.freeAt;
      this.gate.refresh();
    }
    if (now < this.until) return this.until - now;
    if (!this.gate.yieldOver()) {
      this.until = now + this.gate.yieldMs;
      return this.gate.yieldMs;
    }
    this.until = undefined;
    return undefined;
  }
}
