import { assertPartitionCount } from '../wire/partition-of.js';

/** Most doublings of the pause after a yield-take: the pause stays within 32 minimum holds. */
const MAX_PAUSE_DOUBLINGS = 5;

/** What the gate tells an elector about to try for a partition's lease. */
export type GateVerdict = 'open' | 'yield';

/** The balancer's bounds. */
export interface LeaseBalancerSettings {
  /** The partition count P (an integer ≥ 1). */
  partitions: number;
  /** A partition is handed over only once held this long (cluster time; one leader lease TTL). */
  minHoldMs: number;
  /**
   * How much later than an open one a yielding elector tries (the elector's yield delay). After a yield-take,
   * this instance's next one waits two of them: time for an instance below its share to take a lease first.
   */
  yieldMs: number;
}

/**
 * How many instances are alive at cluster time `nowMs`: this one, whatever its own last-seen time says (just
 * started, or its beats lag), and the others seen within `silentMs` (`othersLastSeen`: the other workers'
 * last-seen times, server times, from `WorkerRegistryPort.lastSeen()`).
 */
export function liveInstances(othersLastSeen: readonly number[], nowMs: number, silentMs: number): number {
  let fresh = 0;
  for (const seen of othersLastSeen) if (seen >= nowMs - silentMs) fresh++;
  return 1 + fresh;
}

/** The most partitions one instance should lead: ⌈P / live⌉ (at least 1, so a free partition always has takers). */
export function leaseTarget(partitions: number, live: number): number {
  return Math.ceil(partitions / Math.max(1, live));
}

/**
 * Spreads the partition leases between instances: one per instance, fed with this instance's acquisitions,
 * losses and the latest live-instance count, it decides when an elector may try for a lease and which lease
 * to hand over. Pure and timer-free: times are cluster times passed in; the caller does every read, timer and
 * release. Only ⌈P / live⌉ in steady state: views of `live` differ between instances for a moment, so a
 * transient excess is allowed and corrected by {@link toHandOver}; exactly once rests on each partition's
 * fencing, never on this.
 */
export class LeaseBalancer {
  /** Held partitions → when each was acquired (cluster time). */
  private readonly held = new Map<number, number>();
  /** Partitions whose acquisition is in flight → the gate's verdict when it was sent. */
  private readonly inFlight = new Map<number, GateVerdict>();
  private live = 1;
  /** Consecutive balance ticks that found more held than the target. */
  private overTicks = 0;
  /** Yield-takes since the live count last changed, and the cluster time until which nothing is handed over. */
  private yieldTakes = 0;
  private pausedUntil = -Infinity;
  /** When this instance last took a lease after a yield (cluster time). */
  private lastYieldTakeAt = -Infinity;

  constructor(private readonly settings: LeaseBalancerSettings) {
    assertPartitionCount(settings.partitions);
    if (!(settings.minHoldMs >= 0)) throw new RangeError(`minHoldMs must be ≥ 0, got ${settings.minHoldMs}`);
    if (!(settings.yieldMs >= 0)) throw new RangeError(`yieldMs must be ≥ 0, got ${settings.yieldMs}`);
  }

  /** The latest live-instance count (see {@link liveInstances}). */
  observeLive(live: number): void {
    const next = Math.max(1, Math.floor(live));
    if (next === this.live) return;
    this.live = next;
    // A new view: the evidence of the yield-takes was about the old one.
    this.yieldTakes = 0;
    this.pausedUntil = -Infinity;
  }

  /** How much later than an open one a yielding elector tries (ms). */
  get yieldMs(): number {
    return this.settings.yieldMs;
  }

  get target(): number {
    return leaseTarget(this.settings.partitions, this.live);
  }

  /** Whether this instance holds (or is taking) fewer leases than its share: some gate is open. */
  get hasRoom(): boolean {
    return this.held.size + this.inFlight.size < this.target;
  }

  /** The partitions held, lowest first. */
  get heldPartitions(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /**
   * 'open' when held + acquisitions in flight (the partition's own aside) < target. Counting the ones in
   * flight keeps two electors of this instance asking at once from both seeing the last slot open; so an
   * 'open' must be followed by {@link reserve} in the same turn. A 'yield' does not forbid trying: the elector
   * still tries, one yield delay later than an open one would, so a free partition is never left unled when
   * every instance believes itself at target (e.g. their live counts differ for a moment).
   */
  gate(partition: number): GateVerdict {
    const own = (this.held.has(partition) ? 1 : 0) + (this.inFlight.has(partition) ? 1 : 0);
    return this.held.size + this.inFlight.size - own < this.target ? 'open' : 'yield';
  }

  /**
   * Whether a yielding elector whose yield delay ended may try now (at cluster time `nowMs`): not while another
   * yielding attempt of this instance is in flight, nor within two yield delays of its last yield-take. When
   * instances are told at once of free leases (a stopping one released two), their yielding electors' delays
   * end together: without this, the first to try would take them all, to hand them over again later.
   */
  mayYieldTake(nowMs: number): boolean {
    for (const verdict of this.inFlight.values()) if (verdict === 'yield') return false;
    return nowMs >= this.lastYieldTakeAt + 2 * this.settings.yieldMs;
  }

  /**
   * An acquisition of `partition` is being sent (after an 'open', or a yielding elector trying later); the gate's
   * verdict at this moment is kept, for {@link settle}.
   */
  reserve(partition: number): void {
    this.inFlight.set(partition, this.gate(partition));
  }

  /**
   * The acquisition of `partition` answered: taken at cluster time `nowMs`, or not (refused or failed, which
   * frees the reservation: the caller pokes this instance's yielding electors).
   */
  settle(partition: number, acquired: boolean, nowMs: number): void {
    const verdict = this.inFlight.get(partition);
    this.inFlight.delete(partition);
    if (!acquired || this.held.has(partition)) return;
    this.held.set(partition, nowMs);
    if (verdict !== 'yield') return;
    this.lastYieldTakeAt = nowMs;
    // Taken after a yield: no instance had an open gate for it, so (in this instance's view of `live`) every
    // other one is at its target. Handing over now would only free it for another yield-take, one partition
    // per tick for as long as the count is off (a worker that beats without leading: one still starting, or
    // one draining its runs at shutdown). Pause hand-overs for a minimum hold, doubling at each yield-take
    // until the live count changes.
    this.pausedUntil = nowMs + this.settings.minHoldMs * 2 ** this.yieldTakes;
    this.yieldTakes = Math.min(this.yieldTakes + 1, MAX_PAUSE_DOUBLINGS);
  }

  /** `partition`'s lease is no longer held (lost, handed over, or released at stop). */
  lost(partition: number): void {
    this.held.delete(partition);
  }

  /**
   * At a balance tick (after {@link observeLive}), the partition to hand over, if any; at most one per tick.
   * - Only when held > target at two ticks in a row (hysteresis): a join seen a moment early, or a live count
   *   that flickers around a boundary, must not make leases ping-pong between instances.
   * - Only one held at least `minHoldMs` (one lease TTL): a lease just taken (by a yielding elector, or from a
   *   peer's hand-over) is not given back before its takers' views of `live` can have settled.
   * - Of those, the one held the shortest time: it undoes the latest (likely transient) take first, and keeps
   *   the long-held partitions with their loops warm.
   * - None during the pause that follows a yield-take (see {@link settle}).
   * The caller hands it over (the elector's handOver, then a `lease-handed-over` notice) and reports {@link lost}.
   */
  toHandOver(nowMs: number): number | undefined {
    if (this.held.size <= this.target) {
      this.overTicks = 0;
      return undefined;
    }
    this.overTicks++;
    if (this.overTicks < 2 || nowMs < this.pausedUntil) return undefined;
    let chosen: number | undefined;
    let chosenAt = -Infinity;
    for (const [partition, acquiredAt] of this.held) {
      if (nowMs - acquiredAt < this.settings.minHoldMs) continue;
      // Ties go to the highest index (deterministic, whatever the order of acquisition reports).
      if (acquiredAt > chosenAt || (acquiredAt === chosenAt && partition > (chosen ?? -1))) {
        chosen = partition;
        chosenAt = acquiredAt;
      }
    }
    return chosen;
  }
}
