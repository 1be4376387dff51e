import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { RepartitionRefusedError } from '../errors/repartition-refused.error.js';
import type { RedisClient } from '../redis/redis-client.js';
import type { RedisScripts } from '../redis/redis-scripts.js';
import { repartitionMessages } from './repartition.messages.js';

/**
 * The lock a repartition holds while it runs (`TaskManagerKeys.repartitionLock`, on the deployment's tag): a
 * token with a TTL, renewed every third of it, so that two repartitions never run at once on one key prefix and
 * one that crashed frees it by itself. Whether it is still held is checked after every step: a run that could
 * not renew it in time stops (another may have taken over).
 */
export class RepartitionLock {
  private readonly token = `${hostname()}:${process.pid}:${randomUUID()}`;
  private timer?: NodeJS.Timeout;
  /** Monotonic time (ms) until which the lock is surely ours: the last renewal sent + TTL (a local timer, as the
   * leader lease's give-up). */
  private heldUntil = 0;
  private lost = false;

  private constructor(
    private readonly client: RedisClient,
    private readonly scripts: RedisScripts,
    private readonly key: string,
    private readonly keyPrefix: string,
    private readonly ttlMs: number,
  ) {}

  /**
   * Takes the lock and starts renewing it.
   * @throws RepartitionRefusedError when another run holds it
   */
  static async take(
    client: RedisClient,
    scripts: RedisScripts,
    key: string,
    keyPrefix: string,
    ttlMs: number,
  ): Promise<RepartitionLock> {
    const lock = new RepartitionLock(client, scripts, key, keyPrefix, ttlMs);
    const sent = performance.now();
    if ((await client.set(key, lock.token, 'PX', ttlMs, 'NX')) !== 'OK') {
      const [holder, ttl] = await Promise.all([client.get(key), client.pttl(key)]);
      throw new RepartitionRefusedError(
        repartitionMessages.lockHeld(keyPrefix, holder ?? 'gone now', Math.max(ttl, 0)),
      );
    }
    lock.heldUntil = sent + ttlMs;
    lock.timer = setInterval(() => void lock.renew(), ttlMs / 3);
    lock.timer.unref();
    return lock;
  }

  private async renew(): Promise<void> {
    const sent = performance.now();
    try {
      const renewed = await this.scripts.run<number>('renewLock', [this.key], [this.token, this.ttlMs]);
      if (renewed === 1) this.heldUntil = sent + this.ttlMs;
      else this.lost = true;
    } catch {
      // (Tried again on the next tick; `assertHeld` tells when it is too late.)
    }
  }

  /** @throws RepartitionRefusedError when the lock may be another's by now */
  assertHeld(): void {
    if (this.lost || performance.now() >= this.heldUntil) {
      this.lost = true;
      throw new RepartitionRefusedError(repartitionMessages.lockLost(this.keyPrefix));
    }
  }

  /** Stops renewing and releases the lock if it is still ours (errors ignored: it expires by itself). */
  async release(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.scripts.run('releaseLeader', [this.key], [this.token]);
    } catch {
      // (It expires by itself.)
    }
  }
}
