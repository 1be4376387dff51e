/**
 * The coordination contract against the Redis driver, on the shared test Redis (a unique key prefix per
 * test, every key removed afterwards).
 */
import type { CoordinationPort } from '../libs/task-manager/src/engine/coordination.port.js';
import { resolveOptions } from '../libs/task-manager/src/options/resolve-options.js';
import { createRedisCoordination } from '../libs/task-manager/src/redis/redis-coordination.js';
import { describeCoordinationContract } from '../libs/task-manager/test/coordination-contract.js';
import { cleanupPrefix, redisUrl, uniquePrefix } from './support/redis.js';
import { silentLogger } from './support/redis-port.js';

describeCoordinationContract('redis', async (settings) => {
  const keyPrefix = uniquePrefix('contract');
  const options = resolveOptions({
    redis: redisUrl(),
    keyPrefix,
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
      await cleanupPrefix(keyPrefix);
    },
    dispose: async () => {
      for (const port of ports) await port.lifecycle.close();
      await cleanupPrefix(keyPrefix);
    },
  };
});
