import type { LoggerService } from '@nestjs/common';
import { ClusterClock } from './cluster-clock.js';
import type { LeaseControl } from './coordination.port.js';
import { YieldWait, type AcquireGate } from './acquire-gate.js';
import { realTimers, type EngineTimers, type TimerHandle } from './timers.js';

/** Timing of the election, in milliseconds. */
export interface ElectionSettings {
  heartbeatMs: number;
  retryMs: number;
  /** The leader lease (3 heartbeats). */
  leaseTtlMs: number;
  /** After a refused acquisition, try again this long after the lease would expire, plus up to `retryJitterMs`. */
  retryMarginMs: number;
  retryJitterMs: number;
  /** After a failed renewal, retry this soon (a third of a heartbeat), so the lease is renewed before it expires. */
  renewRetryMs: number;
  /** Every how many renewals the oldest worker heartbeat is read (the dead-worker check). */
  checkWorkersEvery: number;
  /** Every how many renewals the server's clock is read (the others record the leader's estimate of it). */
  clockSampleEvery: number;
}

/** Callbacks of the elector. */
export interface ElectionListener {
  onGained(token: string, epoch: number): void;
  onLost(reason: string, voluntary: boolean): void;
  /** Oldest worker heartbeat reported by each renewal (the leader learns of dead workers without polling). */
  onRenewed(oldestWorkerSeen: number | null): void;
}

/** What the elector works with. */
export interface LeaderElectorDeps {
  port: LeaseControl;
  workerId: string;
  listener: ElectionListener;
  logger: LoggerService;
  /** Fed with the server time of every acquisition and renewal reply. */
  clock?: ClusterClock;
  timers?: EngineTimers;
  /** Asked before each acquisition (several partitions); none: always try. */
  gate?: AcquireGate;
}

/**
 * Leader election on a lease of TTL = 3 x heartbeat. The leader renews every heartbeat (compare-and-set)
 * and steps down as soon as it cannot be sure the lease is still its own: after a refused renewal, or on a
 * local timer once no renewal succeeded within TTL - heartbeat (also when a renewal hangs on a dead link).
 * Followers retry every `retryMs`, and right when the current lease expires or is released. Each term has
 * its token: a loss reported for an earlier term is ignored.
 */
export class LeaderElector {
  private token: string | null = null;
  /** Local time at which the last successful renewal (or the acquisition) was sent. */
  private lastRenewed = 0;
  private timer?: TimerHandle;
  private timerArmed = false;
  private stepDownTimer?: TimerHandle;
  private stopped = true;
  private busy = false;
  private renewals = 0;
  /** With a gate: when a yielding elector tries. */
  private readonly yieldWait?: YieldWait;
  private readonly port: LeaseControl;
  private readonly gate?: AcquireGate;
  private readonly workerId: string;
  private readonly listener: ElectionListener;
  private readonly logger: LoggerService;
  private readonly clock: ClusterClock;
  private readonly timers: EngineTimers;

  constructor(
    deps: LeaderElectorDeps,
    private readonly settings: ElectionSettings,
  ) {
    this.port = deps.port;
    this.workerId = deps.workerId;
    this.listener = deps.listener;
    this.logger = deps.logger;
    this.timers = deps.timers ?? realTimers;
    this.clock = deps.clock ?? new ClusterClock(this.timers);
    this.gate = deps.gate;
    this.yieldWait = deps.gate && new YieldWait(deps.gate);
  }

  get isLeader(): boolean {
    return this.token !== null;
  }

  get ttlMs(): number {
    return this.settings.leaseTtlMs;
  }

  /** How long after the last successful renewal the leader gives up (the lease may expire one heartbeat later). */
  private get stepDownAfterMs(): number {
    return this.ttlMs - this.settings.heartbeatMs;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /**
   * Tries to acquire now: a leader announced its release. (With a gate that says 'yield': one yield delay from
   * now.)
   */
  poke(): void {
    if (this.stopped || this.isLeader) return;
    this.yieldWait?.released(this.timers.now());
    this.schedule(0);
  }

  /** A yielding elector asks its gate again now (e.g. this instance's share grew): it tries at once if open. */
  reconsider(): void {
    if (this.yieldWait?.yielding && !this.stopped && !this.isLeader) this.schedule(0);
  }

  /**
   * Gives the lease up to balance the leases (another instance takes it over): steps down, then releases it
   * in Redis. Election goes on: the gate decides when this instance may try for it again. Resolves whether
   * a lease was released (the caller then says so, so that the others try at once).
   */
  async handOver(reason: string): Promise<boolean> {
    const token = this.token;
    if (!token || this.stopped) return false;
    this.lose(reason, true);
    return this.release(token);
  }

  /** Gives leadership up (released in Redis, so a follower takes over at once) and stops. */
  async stop(): Promise<boolean> {
    this.stopped = true;
    this.timers.clearTimeout(this.timer);
    this.timerArmed = false;
    const token = this.token;
    if (!token) return false;
    this.lose('shutting down; releasing the lease', true);
    return this.release(token);
  }

  /** Releases the lease of `token` in Redis (after stepping down); resolves whether it was released. */
  private async release(token: string): Promise<boolean> {
    try {
      await this.port.release(token);
      return true;
    } catch (error) {
      this.logger.warn(`Could not release leadership: ${(error as Error).message}`);
      return false;
    }
  }

  /**
   * Steps down locally, saying why (e.g. a scheduling call was fenced off with a stale token). With `token`,
   * only when it is the current term's: a refusal of an earlier term's call says nothing about this one.
   */
  lose(reason: string, voluntary = false, token?: string): void {
    if (!this.token || (token !== undefined && token !== this.token)) return;
    this.token = null;
    this.timers.clearTimeout(this.stepDownTimer);
    const message = `${this.workerId} is no longer the leader: ${reason}`;
    if (voluntary) this.logger.log(message);
    else this.logger.warn(message);
    this.listener.onLost(reason, voluntary);
    if (!this.stopped) this.schedule(this.settings.retryMs);
  }

  private schedule(delayMs: number): void {
    this.timers.clearTimeout(this.timer);
    this.timerArmed = true;
    this.timer = this.timers.setTimeout(
      () => {
        this.timerArmed = false;
        void this.tick();
      },
      Math.max(0, delayMs),
    );
  }

  /** The lease was taken or renewed by a request sent at `sentAt`: give up locally before it can expire. */
  private renewed(sentAt: number): void {
    this.lastRenewed = sentAt;
    this.timers.clearTimeout(this.stepDownTimer);
    const token = this.token;
    this.stepDownTimer = this.timers.setTimeout(
      () => this.lose('it could not renew its lease in time', false, token ?? undefined),
      Math.max(0, sentAt + this.stepDownAfterMs - this.timers.now()),
    );
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.busy) return;
    this.busy = true;
    try {
      if (this.token) await this.renew(this.token);
      else await this.acquire();
    } finally {
      this.busy = false;
      // A timer that fired while this call was pending found the elector busy and did nothing: look again.
      if (!this.stopped && !this.timerArmed) this.schedule(this.token ? 0 : this.settings.retryMs);
    }
  }

  private async acquire(): Promise<void> {
    const wait = this.yieldWait?.wait(this.timers.now());
    if (wait !== undefined) {
      this.schedule(wait);
      return;
    }
    let next = this.settings.retryMs;
    this.gate?.reserve();
    let settled = false;
    try {
      const sentAt = this.timers.now();
      const result = await this.port.acquire(this.workerId, this.ttlMs);
      this.clock.observe(result.serverTime, sentAt);
      if (this.stopped) {
        if ('token' in result) await this.port.release(result.token).catch(() => undefined);
        return;
      }
      // (Settled before the listener hears of it: a balancer counts the lease from now.)
      settled = true;
      this.gate?.settle('token' in result, this.clock.now());
      if ('token' in result) {
        this.token = result.token;
        this.renewed(sentAt);
        this.logger.log(`${this.workerId} became the leader (epoch ${result.epoch})`);
        this.listener.onGained(result.token, result.epoch);
        next = this.untilRenewal();
      } else {
        this.yieldWait?.refused(sentAt + result.retryInMs);
        // Try again right after the current lease would expire, if that comes before the retry interval.
        next = Math.min(
          this.settings.retryMs,
          result.retryInMs + this.settings.retryMarginMs + this.timers.random() * this.settings.retryJitterMs,
        );
      }
    } catch {
      // Redis unreachable: the connection layer logs it once; keep trying at the retry interval.
    } finally {
      // (Not settled above: failed, or answered after a stop.)
      if (!settled) this.gate?.settle(false, this.clock.now());
    }
    if (!this.stopped) this.schedule(next);
  }

  private async renew(token: string): Promise<void> {
    const sentAt = this.timers.now();
    try {
      // The dead-worker check rides on every few renewals (engineSettings), and so does a reading of the
      // server's clock: the others record the leader's heartbeat at its estimate of the cluster time.
      const turn = this.renewals++;
      const checkWorkers = turn % this.settings.checkWorkersEvery === 0;
      // (Every renewal until the clock's estimate rests on a full set of samples: one taken on a slow reply
      // would otherwise stand for long.)
      const sampleClock = !this.clock.settled || turn % this.settings.clockSampleEvery === 0;
      const { renewed, oldestWorkerSeen, serverTime } = await this.port.renew(
        token,
        this.ttlMs,
        checkWorkers,
        sampleClock ? undefined : this.clock.now(),
      );
      this.clock.observe(serverTime, sentAt);
      if (token !== this.token) return;
      if (!renewed) {
        this.lose('its lease expired or was taken over', false, token);
        return;
      }
      this.renewed(sentAt);
      this.listener.onRenewed(oldestWorkerSeen);
    } catch {
      if (token === this.token && this.timers.now() - this.lastRenewed > this.stepDownAfterMs) {
        this.lose('it could not renew its lease in time', false, token);
        return;
      }
    }
    if (!this.stopped && this.token === token) this.schedule(this.untilRenewal());
  }

  /**
   * How long until the next renewal: a heartbeat after the last successful one was *sent* (the step-down
   * deadline counts from there too; paced from its reply, a round trip of over half a heartbeat met the deadline
   * before the next reply). Already due (a renewal failed, or a reply took a heartbeat or more): soon, so the
   * lease is renewed before it can expire (a retry a heartbeat later would meet the step-down deadline).
   */
  private untilRenewal(): number {
    const sinceRenew = this.timers.now() - this.lastRenewed;
    return sinceRenew >= this.settings.heartbeatMs
      ? this.settings.renewRetryMs
      : this.settings.heartbeatMs - sinceRenew;
  }
}
