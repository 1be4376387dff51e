import type { LoggerService } from '@nestjs/common';
import { Cluster, type Redis } from 'ioredis';
import { keySlot, type RedisClient } from './redis-client.js';

/** Shortest interval between two warnings about replicas that did not acknowledge in time. */
const WARN_EVERY_MS = 10_000;

/** How many replicas must acknowledge, and how long to wait for them. */
export interface ReplicaWaitSettings {
  /** 0: never wait. */
  replicas: number;
  timeoutMs: number;
}

/**
 * Waits (WAIT) until `replicas` replicas acknowledged the writes this connection made, after the writes that
 * decide a run's fate (publishing it, recording its outcome): Redis replication is asynchronous, so a
 * write acknowledged by a master that dies before its replica got it is lost in a failover (a run published
 * twice or never, an outcome lost). WAIT applies to the connection that wrote, so it is sent on the command
 * connection (on a Cluster, to the node serving the deployment's slot); it holds that connection up to
 * `timeoutMs`. Too few acknowledgements are logged (the write itself stands).
 */
export class ReplicaWait {
  private lastWarned = -Infinity;

  constructor(
    private readonly client: RedisClient,
    private readonly settings: ReplicaWaitSettings,
    /** A key of the deployment (its slot's node is the one to WAIT on, on a Cluster). */
    private readonly slotKey: string,
    private readonly logger: LoggerService,
  ) {}

  /** After a write (`what`, for the warning). Never throws. */
  async after(what: string): Promise<void> {
    const { replicas, timeoutMs } = this.settings;
    if (replicas === 0) return;
    try {
      const acknowledged = Number(await this.connection().wait(replicas, timeoutMs));
      if (acknowledged >= replicas || Date.now() - this.lastWarned < WARN_EVERY_MS) return;
      this.lastWarned = Date.now();
      this.logger.warn(
        `A ${what} was acknowledged by ${acknowledged} of ${replicas} replica(s) within ${timeoutMs} ms: ` +
          'a failover before the replicas catch up could lose it (see waitForReplicas in docs/configuration.md)',
      );
    } catch {
      // Redis trouble: reported by the connection layer; the write itself succeeded.
    }
  }

  private connection(): Redis | RedisClient {
    if (!(this.client instanceof Cluster)) return this.client;
    const owner = this.client.slots[keySlot(this.slotKey)]?.[0];
    const node = this.client.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
    if (!node) throw new Error('no node serves the deployment slot');
    return node;
  }
}
