import { realTimers, type EngineTimers } from './timers.js';

/** Samples kept to estimate the offset (one per heartbeat or renewal; taken at once at start-up). */
export const CLOCK_SAMPLES = 8;

/**
 * The cluster's one clock: Redis TIME, estimated locally. Slots, leases, heartbeats and silence checks are
 * compared in this time, never in a host's own wall clock (a host whose clock runs 5 s fast would start
 * every run 5 s early). Replies that carry the server's time (lease renewals, heartbeats) feed it; the
 * offset (server - local) is taken from the recent sample with the shortest round trip, so a late reply does
 * not skew it. Local timers only decide when to look: a cluster time `t` happens at local time
 * `localTime(t)`.
 */
export class ClusterClock {
  private offset = 0;
  private readonly samples: Array<{ offset: number; roundTrip: number }> = [];

  constructor(private readonly timers: Pick<EngineTimers, 'now'> = realTimers) {}

  /** The cluster time now (ms). */
  now(): number {
    return this.timers.now() + this.offset;
  }

  /** The local wall-clock time at which cluster time `clusterMs` happens. */
  localTime(clusterMs: number): number {
    return clusterMs - this.offset;
  }

  /** Milliseconds from now until cluster time `clusterMs` (negative when past). */
  until(clusterMs: number): number {
    return clusterMs - this.now();
  }

  /** Whether the estimate rests on a full set of samples (until then, every reply carrying the time counts). */
  get settled(): boolean {
    return this.samples.length >= CLOCK_SAMPLES;
  }

  /** Server minus local time, as estimated (ms). */
  get offsetMs(): number {
    return this.offset;
  }

  /**
   * Takes a reply carrying the server's time `serverMs` into account: the request was sent at local time
   * `sentAt` and the reply received at `receivedAt`.
   */
  observe(serverMs: number, sentAt: number, receivedAt: number = this.timers.now()): void {
    if (!Number.isFinite(serverMs) || receivedAt < sentAt) return;
    const roundTrip = receivedAt - sentAt;
    this.samples.push({ offset: serverMs - (sentAt + roundTrip / 2), roundTrip });
    if (this.samples.length > CLOCK_SAMPLES) this.samples.shift();
    const best = this.samples.reduce((a, b) => (b.roundTrip <= a.roundTrip ? b : a));
    this.offset = Math.round(best.offset);
  }
}
