import { Logger, type LoggerService } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import { withTimeout } from '../engine/with-timeout.js';
import { RedisUnreachableError } from '../errors/redis-unreachable.error.js';
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import type { ResolvedRedisCluster } from '../options/resolved-options.js';
import { messages } from '../task-manager.messages.js';
import { keySlot, type RedisClient } from './redis-client.js';
import { readServerInfo, type RedisServerInfo } from './redis-server-info.js';
import { describeRedisTarget, redactSecrets, type RedisConnectionTarget } from './redis-target.js';

export type { RedisConnectionTarget } from './redis-target.js';

/**
 * Roles of the connections one instance opens: `blocking` is the consumer's blocking read of a deployment of
 * one partition; with several, each partition's reader has its own (`blocking:<index>`).
 */
export type ConnectionRole = 'command' | 'blocking' | `blocking:${number}` | 'subscriber';

/** Whether a role's connection serves blocking reads (disconnected, not QUIT, at close). */
const isBlocking = (role: ConnectionRole) => role.startsWith('blocking');

/** Longest one connection attempt may take before `connect()` gives up on it (e.g. a TLS handshake nobody answers). */
export const CONNECT_ATTEMPT_MS = 5_000;

/** How long a graceful QUIT may take at shutdown before the connection is simply dropped. */
const QUIT_TIMEOUT_MS = 2_000;

/** Reconnection delays after a lost connection: 200 ms doubling up to 2 s (`times` counts from 1). */
const reconnectDelay = (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000);

/**
 * A server that answers READONLY is a replica: the master moved (a Sentinel failover, a managed service
 * swapping its primary endpoint). Reconnect, which re-resolves the master; the failed command is not
 * resent (the engine's loops retry on their next tick).
 */
const reconnectOnReadOnly = (error: Error) => (error.message.startsWith('READONLY') ? 1 : false);

/**
 * Owns this instance's Redis connections: one for commands and scripts, one for the blocking
 * XREADGROUP of the consumer (one per partition with several), one for pub/sub. Each is an ioredis `Redis` (standalone or Sentinel), or an
 * ioredis `Cluster` when the deployment runs on Redis Cluster (a dedicated one per role, so the blocking
 * read never delays commands). ioredis reconnects by itself with backoff. Once connected, logs connection
 * state changes once each (not once per retry; a failure before the first connection is reported by
 * `connect()`'s caller) and reports health. Closing is idempotent.
 */
export class RedisConnections {
  private readonly clients = new Map<ConnectionRole, RedisClient>();
  /** Hash slot of the deployment's keys (Cluster health: the node serving it must be connected). */
  private readonly healthSlot?: number;
  private healthy = false;
  /** Whether the command connection was ever ready: until then, failures are the caller's to report. */
  private everReady = false;
  private downReported = false;
  /** The last connection error of the command client (ioredis rejects `connect()` without its cause). */
  private lastError?: Error;
  /** The last error a Cluster node reported (ioredis reports startup failures without their cause). */
  private lastNodeError?: Error;
  private closing?: Promise<void>;

  /**
   * @param target where to connect
   * @param logger where connection state changes are logged
   * @param healthKey a key of the deployment; on a Cluster, the instance is healthy only while the node
   *   serving its slot is connected
   * @param attemptMs longest wait of `connect()` for one connection attempt
   */
  constructor(
    private readonly target: RedisConnectionTarget,
    private readonly logger: LoggerService = new Logger('TaskManager'),
    healthKey?: string,
    private readonly attemptMs = CONNECT_ATTEMPT_MS,
  ) {
    if (healthKey !== undefined) this.healthSlot = keySlot(healthKey);
  }

  /** Where the connections go, for messages (no credentials). */
  get description(): string {
    return describeRedisTarget(this.target);
  }

  /** Whether the connections go to a Redis Cluster. */
  get isCluster(): boolean {
    return this.target.redisCluster !== undefined;
  }

  /** The client of `role`, created (lazily) on first use. */
  get(role: ConnectionRole): RedisClient {
    let client = this.clients.get(role);
    if (!client) {
      client = this.target.redisCluster ? this.createCluster(role, this.target.redisCluster) : this.createRedis(role);
      if (role === 'command') this.watchHealth(client);
      else client.on('error', () => undefined);
      this.clients.set(role, client);
    }
    return client;
  }

  private createRedis(role: ConnectionRole): Redis {
    const options = this.target.redis;
    return new Redis({
      reconnectOnError: reconnectOnReadOnly,
      // Through Sentinel, follow a failover at once: ioredis subscribes to +switch-master on the sentinels and
      // reconnects to the new master. Without it, after a manual failover (SENTINEL FAILOVER) the connections
      // stay on the old master, which keeps accepting writes until Sentinel demotes it ~10 s later, and those
      // writes are then lost.
      ...(options.sentinels ? { failoverDetector: true } : {}),
      ...options,
      lazyConnect: true,
      connectionName: options.connectionName ?? `nest-task-manager:${role}`,
      // Commands fail fast while Redis is unreachable (no offline queue, bounded retries): every loop
      // catches the error and tries again on its next tick, and shutdown never waits on a dead connection.
      // Through Sentinel, each reconnection asks the sentinels for the current master.
      maxRetriesPerRequest: role === 'command' ? 2 : null,
      enableOfflineQueue: role !== 'command',
      retryStrategy: reconnectDelay,
      ...(role === 'command' ? { commandTimeout: options.commandTimeout ?? this.target.commandTimeoutMs } : {}),
    });
  }

  private createCluster(role: ConnectionRole, { nodes, options }: ResolvedRedisCluster): Cluster {
    const redisOptions = options.redisOptions ?? {};
    return new Cluster(nodes, {
      ...options,
      lazyConnect: true,
      // As for a single server: commands fail fast while the cluster is unreachable (the loops retry),
      // the blocking read and the subscription wait for it. A command caught by a failover or a resharding
      // is still retried by ioredis on the new owner of the slot (MOVED, TRYAGAIN, CLUSTERDOWN).
      enableOfflineQueue: role !== 'command',
      clusterRetryStrategy: reconnectDelay,
      redisOptions: {
        ...redisOptions,
        connectionName: redisOptions.connectionName ?? `nest-task-manager:${role}`,
        maxRetriesPerRequest: role === 'command' ? 2 : null,
        ...(role === 'command' ? { commandTimeout: redisOptions.commandTimeout ?? this.target.commandTimeoutMs } : {}),
      },
    });
  }

  /**
   * Connects the command client (or waits for the outcome of ioredis' next attempt when it is reconnecting)
   * and reads the server's version. May be called again after a failure.
   * @throws RedisUnreachableError when the attempt fails or takes longer than `attemptMs` (naming the server
   *   and the reason); TaskManagerConfigurationError when the configured topology does not match the server
   *   (a Cluster node configured as a single server would answer MOVED to most of the engine's commands)
   */
  async connect(): Promise<RedisServerInfo> {
    const client = this.get('command');
    try {
      await this.nextReady(client);
      await client.ping();
    } catch (error) {
      const cause = error as Error & { lastNodeError?: Error };
      // On a Cluster the last "node error" names the real cause (the error event says "Failed to refresh slots cache").
      const nodeError = client instanceof Cluster ? (this.lastNodeError ?? cause.lastNodeError) : undefined;
      if (nodeError && /cluster support disabled/i.test(nodeError.message)) {
        throw new TaskManagerConfigurationError(
          'redis.cluster is configured but the startup nodes are not Redis Cluster nodes (cluster support disabled): ' +
            'configure a single server (a URL or `{ host, port }`) or Sentinel instead.',
        );
      }
      const reason = nodeError ? `${cause.message} (last node error: ${nodeError.message})` : cause.message;
      throw new RedisUnreachableError(this.description, redactSecrets(reason, this.target), { cause });
    }
    const info = await readServerInfo(client);
    if (!this.isCluster && info.mode === 'cluster') {
      throw new TaskManagerConfigurationError(
        'The configured Redis server is a Redis Cluster node: configure the cluster with ' +
          '`redis: { cluster: { nodes: [{ host, port }, ...] } }` so that commands reach the node serving the keys.',
      );
    }
    return info;
  }

  /**
   * Resolves once `client` is ready; rejects with the cause of its next failed attempt (ioredis' own
   * rejection only says "Connection is closed."), or after `attemptMs`. Starts a lazy client.
   */
  private nextReady(client: RedisClient): Promise<void> {
    if (client.status === 'ready') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('error', onError);
        client.off('end', onEnd);
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => settle();
      // NOTE: a Cluster's first error event ("Failed to refresh slots cache") says less than the rejection of
      // its first connect() ("None of startup nodes is available", with the last node error): wait for that.
      const clusterStart = client instanceof Cluster && client.status === 'wait';
      const onError = (error: Error) => {
        if (!clusterStart) settle(error);
      };
      const onEnd = () => settle(this.lastError ?? new Error('the connection was closed'));
      const timer = setTimeout(() => {
        const last = this.lastError ? ` (last error: ${this.lastError.message})` : '';
        settle(new Error(`no answer within ${this.attemptMs / 1000} s${last}`));
      }, this.attemptMs);
      client.on('ready', onReady);
      client.on('error', onError);
      client.on('end', onEnd);
      if (client.status === 'wait') {
        client.connect().catch((error: Error) => {
          if (clusterStart) settle(error);
        });
      }
    });
  }

  isHealthy(): boolean {
    if (!this.healthy) return false;
    const client = this.clients.get('command');
    if (client instanceof Cluster && this.healthSlot !== undefined) {
      // Every command of the deployment goes to the node serving its slot: it must be connected.
      const owner = client.slots[this.healthSlot]?.[0];
      const node = owner === undefined ? undefined : client.nodes('all').find((n) => nodeKey(n) === owner);
      return node?.status === 'ready';
    }
    return true;
  }

  /** Closes every connection (blocking ones first, so a pending read is interrupted). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const blocking = [...this.clients.keys()].filter(isBlocking);
      for (const role of [...blocking, 'subscriber', 'command'] as ConnectionRole[]) {
        const client = this.clients.get(role);
        // Already closed (the blocking one is disconnected to interrupt a read at shutdown): disconnecting again
        // would leave ioredis waiting for a 'close' event that already happened (2 s timer holding the process).
        if (!client || client.status === 'end') continue;
        // Through Sentinel, disconnect rather than QUIT: only disconnect() also closes the connections ioredis
        // keeps to the sentinels to detect failovers (after a QUIT they would hold the process open).
        if (isBlocking(role) || client.status !== 'ready' || this.target.redis.sentinels) {
          client.disconnect();
          continue;
        }
        // (Not answered in time, or refused: disconnect.)
        if (
          !(await withTimeout(
            client.quit().then(() => true),
            QUIT_TIMEOUT_MS,
          ))
        )
          client.disconnect();
      }
      this.healthy = false;
    })();
    return this.closing;
  }

  private watchHealth(client: RedisClient): void {
    client.on('ready', () => {
      this.healthy = true;
      this.everReady = true;
      this.reportUp();
    });
    client.on('error', (error: Error & { lastNodeError?: Error }) => {
      this.healthy = false;
      this.lastError = error.lastNodeError ?? error;
      const cause = error.lastNodeError ? ` (${error.lastNodeError.message})` : '';
      this.reportDown(`${error.message}${cause}`);
    });
    client.on('end', () => {
      this.healthy = false;
    });
    client.on('close', () => {
      this.healthy = false;
    });
    if (client instanceof Cluster) {
      // A node lost: commands of its slots fail until it is back or its replica took over. Health then
      // follows the node serving the deployment's slot (see isHealthy).
      client.on('node error', (error: Error, node: string) => {
        this.lastNodeError = error;
        this.reportDown(`node ${node}: ${error.message}`);
      });
      client.on('+node', (node: Redis) => {
        node.on('ready', () => {
          if (client.status === 'ready') this.reportUp();
        });
      });
    }
  }

  private reportDown(reason: string): void {
    if (!this.everReady) return;
    if (!this.downReported && !this.closing) {
      this.logger.warn(messages.redisDown(this.description, redactSecrets(reason, this.target)));
    }
    this.downReported = true;
  }

  private reportUp(): void {
    if (this.downReported && !this.closing) this.logger.log(messages.redisUp());
    this.downReported = false;
  }
}

/** `host:port` of a Cluster node, as ioredis keys its slot table. */
function nodeKey(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}
