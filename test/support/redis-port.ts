/**
 * The Redis driver's coordination port on the shared test Redis, for tests of what the driver sends to Redis:
 * a port under a fresh key prefix, and a MONITOR of the commands that reach the server.
 */
import type { LoggerService } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { CoordinationPort } from '../../libs/task-manager/src/engine/coordination.port.js';
import { resolveOptions } from '../../libs/task-manager/src/options/resolve-options.js';
import { createRedisCoordination } from '../../libs/task-manager/src/redis/redis-coordination.js';
import { cleanupPrefix, redisUrl, uniquePrefix } from './redis.js';

/** A logger that says nothing (the driver's connection messages are not what these tests look at). */
export const silentLogger: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** A port of worker `workerId` under a fresh prefix; `close` disconnects it and removes its keys. */
export function redisTestPort(label: string, workerId = 'w1') {
  const keyPrefix = uniquePrefix(label);
  const port: CoordinationPort = createRedisCoordination(
    resolveOptions({ redis: redisUrl(), keyPrefix }),
    workerId,
    silentLogger,
  );
  return {
    keyPrefix,
    port,
    close: async () => {
      await port.lifecycle.close();
      await cleanupPrefix(keyPrefix);
    },
  };
}

/** A command MONITOR saw: its arguments (the name first), and whether a Lua script ran it. */
export interface SeenCommand {
  args: string[];
  fromScript: boolean;
}

/**
 * Watches every command the shared Redis runs from now on (a script's own commands included, as they run) and
 * keeps those `keep` accepts. MONITOR is started when this resolves.
 */
export async function monitorCommands(keep: (command: SeenCommand) => boolean) {
  const monitor = await new Redis(redisUrl()).monitor();
  const seen: SeenCommand[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const command = { args, fromScript: source.includes('lua') };
    if (keep(command)) seen.push(command);
  });
  return { seen, stop: () => monitor.disconnect() };
}
