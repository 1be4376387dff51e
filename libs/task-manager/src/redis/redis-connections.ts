import { Logger, type LoggerService } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { messages } from '../task-manager.messages.js';

/** Roles of the connections one instance opens. */
export type ConnectionRole = 'command' | 'blocking' | 'subscriber';

/**
 * Owns this instance's Redis connections: one for commands and scripts, one for the blocking
 * XREADGROUP of the consumer, one for pub/sub. Logs connection state changes once each (not once per
 * retry) and reports health. Closing is idempotent.
 */
export class RedisConnections {
  private readonly clients = new Map<ConnectionRole, Redis>();
  private healthy = false;
  private downReported = false;
  private closing?: Promise<void>;

  constructor(
    private readonly options: RedisOptions,
    private readonly logger: LoggerService = new Logger('TaskManager'),
  ) {}

  /** The client of `role`, created (lazily) on first use. */
  get(role: ConnectionRole): Redis {
    let client = this.clients.get(role);
    if (!client) {
      client = new Redis({
        ...this.options,
        lazyConnect: true,
        connectionName: this.options.connectionName ?? `nest-task-manager:${role}`,
        // Commands fail fast while Redis is unreachable (no offline queue, bounded retries): every loop
        // catches the error and tries again on its next tick, and shutdown never waits on a dead connection.
        maxRetriesPerRequest: role === 'command' ? 2 : null,
        enableOfflineQueue: role !== 'command',
        retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
      });
      if (role === 'command') this.watchHealth(client);
      else client.on('error', () => undefined);
      this.clients.set(role, client);
    }
    return client;
  }

  /** Connects the command client; throws when Redis cannot be reached at boot. */
  async connect(): Promise<void> {
    const client = this.get('command');
    if (client.status === 'wait') await client.connect();
    await client.ping();
  }

  isHealthy(): boolean {
    return this.healthy;
  }

  /** Closes every connection (blocking one first, so a pending read is interrupted). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const role of ['blocking', 'subscriber', 'command'] as ConnectionRole[]) {
        const client = this.clients.get(role);
        if (!client) continue;
        try {
          if (role === 'blocking' || client.status !== 'ready') client.disconnect();
          else await client.quit();
        } catch {
          client.disconnect();
        }
      }
      this.healthy = false;
    })();
    return this.closing;
  }

  private watchHealth(client: Redis): void {
    client.on('ready', () => {
      this.healthy = true;
      if (this.downReported) this.logger.log(messages.redisUp());
      this.downReported = false;
    });
    client.on('error', (error: Error) => {
      this.healthy = false;
      if (!this.downReported && !this.closing) this.logger.warn(messages.redisDown(error.message));
      this.downReported = true;
    });
    client.on('end', () => {
      this.healthy = false;
    });
    client.on('close', () => {
      this.healthy = false;
    });
  }
}
