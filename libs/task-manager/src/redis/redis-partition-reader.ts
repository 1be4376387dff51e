import type { RunMessage } from '../engine/coordination.port.js';
import type { RedisClient } from './redis-client.js';
import type { RedisConnections } from './redis-connections.js';
import { PENDING_REREAD_MAX, type RedisPartitionRuns } from './redis-partition-runs.js';

/**
 * The reads of one partition's run streams for a deployment of several partitions, on the partition's own
 * blocking connection (`blocking:<index>`): a blocked XREADGROUP holds its socket, and one partition's must
 * not delay another's. Tracks that connection's losses (its consumer's pending runs are re-read after one)
 * and its one outstanding blocked read.
 */
export class RedisPartitionReader {
  /** The connection was re-established after a loss: re-read this consumer's pending runs of the partition. */
  private rereadPending = false;
  private connectionLost = false;
  private client?: RedisClient;
  /** A blocked read in flight (the connection answers nothing else before it). */
  outstanding = false;

  constructor(
    private readonly connections: RedisConnections,
    readonly part: RedisPartitionRuns,
    readonly index: number,
    /** Creates the partition's consumer groups (after NOGROUP: the streams vanished). */
    private readonly ensureGroups: () => Promise<void>,
  ) {}

  /** The partition's blocking connection, connected (created and watched on first use). */
  private async open(): Promise<RedisClient> {
    let client = this.client;
    if (!client) {
      client = this.connections.get(`blocking:${this.index}`);
      this.client = client;
      // (A Cluster client also says 'ready' after refreshing its slots, without any connection lost.)
      client.on('close', () => (this.connectionLost = true));
      client.on('ready', () => {
        if (this.connectionLost) this.rereadPending = true;
        this.connectionLost = false;
      });
    }
    if (client.status === 'wait') await client.connect();
    return client;
  }

  /**
   * This consumer's runs still pending in the partition when its connection was re-established since the last
   * call (a reply lost with the connection left them where nothing else would look); else none.
   */
  async reread(consumer: string): Promise<RunMessage[]> {
    await this.open();
    if (!this.rereadPending || this.outstanding) return [];
    this.rereadPending = false;
    const { streamHigh, streamNormal } = this.part.keys;
    return this.read(consumer, PENDING_REREAD_MAX, undefined, [streamHigh, streamNormal], '0');
  }

  /** New runs of one stream of the partition, without blocking. */
  poll(consumer: string, count: number, stream: string): Promise<RunMessage[]> {
    return this.read(consumer, count, undefined, [stream]);
  }

  /** New runs of both streams, blocking up to `blockMs`; `outstanding` until it settles. */
  async block(consumer: string, count: number, blockMs: number): Promise<RunMessage[]> {
    this.outstanding = true;
    try {
      const { streamHigh, streamNormal } = this.part.keys;
      return await this.read(consumer, count, blockMs, [streamHigh, streamNormal]);
    } finally {
      this.outstanding = false;
    }
  }

  private async read(
    consumer: string,
    count: number,
    blockMs: number | undefined,
    streams: string[],
    from?: string,
  ): Promise<RunMessage[]> {
    const client = await this.open();
    try {
      return await this.part.xread(client, consumer, count, blockMs, streams, from);
    } catch (error) {
      // (Created again for the next read; if that fails too, the next read tries again.)
      if (isNoGroup(error)) await this.ensureGroups().catch(() => undefined);
      throw error;
    }
  }

  /** Interrupts a blocked read (shutdown). */
  interrupt(): void {
    this.client?.disconnect();
  }
}

/** Whether a read failed because the partition's consumer group is gone (its streams vanished). */
export function isNoGroup(error: unknown): boolean {
  return String((error as Error)?.message).includes('NOGROUP');
}
