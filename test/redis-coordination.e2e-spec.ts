/**
 * The coordination contract against the Redis driver, on the shared test Redis (a unique key prefix per
 * test, every key of every partition removed afterwards), with the three-partition section on the driver
 * built with 3 partitions.
 */
import { Redis } from 'ioredis';
import type { CoordinationPort } from '../libs/task-manager/src/engine/coordination.port.js';
import { resolveOptions } from '../libs/task-manager/src/options/resolve-options.js';
import { createRedisCoordination } from '../libs/task-manager/src/redis/redis-coordination.js';
import { describeCoordinationContract } from '../libs/task-manager/test/coordination-contract.js';
import { TaskManagerKeys } from '../libs/task-manager/src/redis/task-manager-keys.js';
import { redisUrl, uniquePrefix } from './support/redis.js';
import { silentLogger } from './support/redis-port.js';

/** Removes every key of the deployment (each partition's tag). */
async function cleanupDeployment(keys: TaskManagerKeys): Promise<void> {
  const client = new Redis(redisUrl());
  try {
    for (const pattern of keys.allKeysPatterns) {
      let cursor = '0';
      do {
        const [next, found] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (found.length > 0) await client.unlink(...found);
      } while (cursor !== '0');
    }
  } finally {
    client.disconnect();
  }
}

describeCoordinationContract(
  'redis',
  async (settings) => {
    const keyPrefix = uniquePrefix('contract');
    const partitions = settings.partitions ?? 1;
    const keys = new TaskManagerKeys(keyPrefix, partitions);
    const options = resolveOptions({
      redis: redisUrl(),
      keyPrefix,
      partitions,
      statisticsHistoryRuns: settings.statisticsHistoryRuns,
      statisticsRedisExpiration: settings.statisticsRedisExpiration,
    });
    const ports: CoordinationPort[] = [];
    const build = async (workerId: string) => {
      const port = createRedisCoordination(options, workerId, silentLogger);
      ports.push(port);
      await port.lifecycle.connect();
      return port;
    };
    return {
      port: await build(settings.workerId),
      peer: build,
      wipe: async () => {
        await cleanupDeployment(keys);
      },
      dispose: async () => {
        for (const port of ports) await port.lifecycle.close();
        await cleanupDeployment(keys);
      },
    };
  },
  { partitioned: true },
);
