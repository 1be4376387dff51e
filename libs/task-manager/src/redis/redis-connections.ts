import { Logger, type LoggerService } from '@nestjs/common';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { TaskManagerConfigurationError } from '../errors/task-manager-configuration.error.js';
import type { ResolvedRedisCluster } from '../options/resolved-options.js';
import { messages } from '../task-manager.messages.js';
import { keySlot, type RedisClient } from './redis-client.js';

/** Roles of the connections one instance opens. */
export type ConnectionRole = 'command' | 'blocking' | 'subscriber';

/** Where the connections go: one server (standalone or through Sentinel), or a Redis Cluster. */
export interface RedisConnectionTarget {
  /** ioredis options of a standalone or Sentinel connection; with `redisCluster`, the per-node options. */
  readonly redis: RedisOptions;
  /** Seed nodes and ioredis Cluster options when the deployment runs on Redis Cluster. */
  readonly redisCluster?: ResolvedRedisCluster;
}

/** What the server (every master of a Cluster) reports in `INFO server`. */
export interface RedisServerInfo {
  /** `redis_version`; on a Cluster, the oldest among the masters that answered. */
  readonly version: string;
  /** `redis_mode`: `standalone`, `cluster` or `sentinel`. */
  readonly mode: string;
}

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
 * XREADGROUP of the consumer, one for pub/sub. Each is an ioredis `Redis` (standalone or Sentinel), or an
 * ioredis `Cluster` when the deployment runs on Redis Cluster (a dedicated one per role, so the blocking
 * read never delays commands). Logs connection state changes once each (not once per retry) and reports
 * health. Closing is idempotent.
 */
export class RedisConnections {
  private readonly clients = new Map<ConnectionRole, RedisClient>();
  /** Hash slot of the deployment's keys (Cluster health: the node serving it must be connected). */
  private readonly healthSlot?: number;
  private healthy = false;
  private downReported = false;
  /** The last error a Cluster node reported (ioredis reports startup failures without their cause). */
  private lastNodeError?: Error;
  private closing?: Promise<void>;

  /**
   * @param target where to connect
   * @param logger where connection state changes are logged
   * @param healthKey a key of the deployment; on a Cluster, the instance is healthy only while the node
   *   serving its slot is connected
   */
  constructor(
    private readonly target: RedisConnectionTarget,
    private readonly logger: LoggerService = new Logger('TaskManager'),
    healthKey?: string,
  ) {
    if (healthKey !== undefined) this.healthSlot = keySlot(healthKey);
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
      },
    });
  }

  /**
   * Connects the command client and reads the server's version; throws when Redis cannot be reached at
   * boot, or when the configured topology does not match the server (a Cluster node configured as a single
   * server would answer MOVED to most of the engine's commands).
   */
  async connect(): Promise<RedisServerInfo> {
    const client = this.get('command');
    try {
      if (client.status === 'wait') await client.connect();
      await client.ping();
    } catch (error) {
      if (client instanceof Cluster) throw this.clusterConnectError(error as Error);
      throw error;
    }
    const info = await this.serverInfo(client);
    if (!this.isCluster && info.mode === 'cluster') {
      throw new TaskManagerConfigurationError(
        'The configured Redis server is a Redis Cluster node: configure the cluster with ' +
          '`redis: { cluster: { nodes: [{ host, port }, ...] } }` so that commands reach the node serving the keys.',
      );
    }
    return info;
  }

  /** Reads `INFO server` of the server, or of every master of a Cluster (the oldest version wins). */
  private async serverInfo(client: RedisClient): Promise<RedisServerInfo> {
    const servers: RedisClient[] = client instanceof Cluster ? client.nodes('master') : [client];
    const replies = await Promise.allSettled(servers.map((server) => server.info('server')));
    const infos = replies.flatMap((reply) => (reply.status === 'fulfilled' ? [reply.value] : []));
    if (infos.length === 0) throw (replies[0] as PromiseRejectedResult | undefined)?.reason ?? new Error('no server');
    const field = (info: string, name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
    const versions = infos.map((info) => field(info, 'redis_version') ?? '0.0.0');
    versions.sort(compareVersions);
    return { version: versions[0], mode: field(infos[0], 'redis_mode') ?? 'standalone' };
  }

  private clusterConnectError(error: Error): Error {
    const cause = this.lastNodeError;
    if (cause && /cluster support disabled/i.test(cause.message)) {
      return new TaskManagerConfigurationError(
        'redis.cluster is configured but the seed nodes are not Redis Cluster nodes (cluster support disabled): ' +
          'configure a single server (a URL or `{ host, port }`) or Sentinel instead.',
      );
    }
    const detail = cause ? ` (last node error: ${cause.message})` : '';
    return new Error(`Redis Cluster unreachable: ${error.message}${detail}`, { cause: error });
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

  /** Closes every connection (blocking one first, so a pending read is interrupted). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const role of ['blocking', 'subscriber', 'command'] as ConnectionRole[]) {
        const client = this.clients.get(role);
        // Already closed (the blocking one is disconnected to interrupt a read at shutdown): disconnecting again
        // would leave ioredis waiting for a 'close' event that already happened (2 s timer holding the process).
        if (!client || client.status === 'end') continue;
        // Through Sentinel, disconnect rather than QUIT: only disconnect() also closes the connections ioredis
        // keeps to the sentinels to detect failovers (after a QUIT they would hold the process open).
        if (role === 'blocking' || client.status !== 'ready' || this.target.redis.sentinels) {
          client.disconnect();
          continue;
        }
        let timer: NodeJS.Timeout | undefined;
        const quit = await Promise.race([
          client.quit().then(
            () => true,
            () => false,
          ),
          new Promise<false>((resolve) => {
            timer = setTimeout(() => resolve(false), QUIT_TIMEOUT_MS);
          }),
        ]);
        clearTimeout(timer);
        if (!quit) client.disconnect();
      }
      this.healthy = false;
    })();
    return this.closing;
  }

  private watchHealth(client: RedisClient): void {
    client.on('ready', () => {
      this.healthy = true;
      this.reportUp();
    });
    client.on('error', (error: Error & { lastNodeError?: Error }) => {
      this.healthy = false;
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
    if (!this.downReported && !this.closing) this.logger.warn(messages.redisDown(reason));
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

/** Compares two `major.minor.patch` versions. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
