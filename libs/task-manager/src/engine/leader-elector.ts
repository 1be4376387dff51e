import type { LoggerService } from '@nestjs/common';
import type { LeadershipPort } from './coordination.port.js';

/** Timing of the election, in milliseconds. */
export interface ElectionSettings {
  heartbeatMs: number;
  retryMs: number;
}

/** Callbacks of the elector. */
export interface ElectionListener {
  onGained(token: string, epoch: number): void;
  onLost(reason: string, voluntary: boolean): void;
  /** Oldest worker heartbeat reported by each renewal (the leader learns of dead workers without polling). */
  onRenewed(oldestWorkerSeen: number | null): void;
}

/**
 * Leader election on a lease of TTL = 3 x heartbeat. The leader renews every heartbeat (compare-and-set)
 * and steps down as soon as it cannot be sure the lease is still its own: after a failed renewal, or when
 * no renewal succeeded within TTL - heartbeat. Followers retry every `retryMs`, and right when the current
 * lease expires or is released.
 */
export class LeaderElector {
  private token: string | null = null;
  private lastRenewed = 0;
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private busy = false;
  private renewals = 0;

  constructor(
    private readonly port: LeadershipPort,
    private readonly workerId: string,
    private readonly settings: ElectionSettings,
    private readonly listener: ElectionListener,
    private readonly logger: LoggerService,
  ) {}

  get isLeader(): boolean {
    return this.token !== null;
  }

  get ttlMs(): number {
    return this.settings.heartbeatMs * 3;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Tries to acquire now (e.g. the leader announced its release). */
  poke(): void {
    if (!this.stopped && !this.isLeader) this.schedule(0);
  }

  /** Gives leadership up (released in Redis, so a follower takes over at once) and stops. */
  async stop(): Promise<boolean> {
    this.stopped = true;
    clearTimeout(this.timer);
    const token = this.token;
    if (!token) return false;
    this.lose('shutting down; releasing the lease', true);
    try {
      await this.port.release(token);
      return true;
    } catch (error) {
      this.logger.warn(`Could not release leadership: ${(error as Error).message}`);
      return false;
    }
  }

  /** Steps down locally, saying why (e.g. a scheduling call was fenced off with a stale token). */
  lose(reason: string, voluntary = false): void {
    if (!this.token) return;
    this.token = null;
    const message = `${this.workerId} is no longer the leader: ${reason}`;
    if (voluntary) this.logger.log(message);
    else this.logger.warn(message);
    this.listener.onLost(reason, voluntary);
    if (!this.stopped) this.schedule(this.settings.retryMs);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), Math.max(0, delayMs));
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.busy) return;
    this.busy = true;
    try {
      if (this.token) await this.renew(this.token);
      else await this.acquire();
    } finally {
      this.busy = false;
    }
  }

  private async acquire(): Promise<void> {
    let next = this.settings.retryMs;
    try {
      const result = await this.port.acquire(this.workerId, this.ttlMs);
      if (this.stopped) {
        if ('token' in result) await this.port.release(result.token).catch(() => undefined);
        return;
      }
      if ('token' in result) {
        this.token = result.token;
        this.lastRenewed = Date.now();
        this.logger.log(`${this.workerId} became the leader (epoch ${result.epoch})`);
        this.listener.onGained(result.token, result.epoch);
        next = this.settings.heartbeatMs;
      } else {
        // Try again right after the current lease would expire, if that comes before the retry interval.
        next = Math.min(this.settings.retryMs, result.retryInMs + 25 + Math.random() * 50);
      }
    } catch {
      // Redis unreachable: the connection layer logs it once; keep trying at the retry interval.
    }
    if (!this.stopped) this.schedule(next);
  }

  private async renew(token: string): Promise<void> {
    try {
      // The dead-worker check rides on every other renewal: often enough to recover a dead worker's runs
      // within 3 x runningHeartbeatInterval + 2 s with default settings, at half the idle cost.
      const checkWorkers = this.renewals++ % 2 === 0;
      const { renewed, oldestWorkerSeen } = await this.port.renew(token, this.ttlMs, checkWorkers);
      if (token !== this.token) return;
      if (!renewed) {
        this.lose('its lease expired or was taken over');
        return;
      }
      this.lastRenewed = Date.now();
      this.listener.onRenewed(oldestWorkerSeen);
    } catch {
      if (token === this.token && Date.now() - this.lastRenewed > this.ttlMs - this.settings.heartbeatMs) {
        this.lose('it could not renew its lease in time');
        return;
      }
    }
    if (!this.stopped && this.token === token) {
      // After a failure, retry sooner so the lease is renewed before it can expire.
      const sinceRenew = Date.now() - this.lastRenewed;
      this.schedule(sinceRenew > this.settings.heartbeatMs ? this.settings.heartbeatMs / 3 : this.settings.heartbeatMs);
    }
  }
}
