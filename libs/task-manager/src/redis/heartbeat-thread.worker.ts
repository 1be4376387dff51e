/**
 * The heartbeat thread (see heartbeat-thread.ts): its own Redis connection, a timer, and the same heartbeat
 * as the main thread's. Started by `HeartbeatThread` with `HeartbeatThreadData`.
 */
import type { LoggerService } from '@nestjs/common';
import { parentPort, workerData } from 'node:worker_threads';
import { extendRenewedLeases, Heartbeat, type HeartbeatLoad } from '../engine/heartbeat.js';
import type { HeartbeatThreadCommand, HeartbeatThreadData, HeartbeatThreadMessage } from './heartbeat-thread.js';
import { RedisConnections } from './redis-connections.js';
import { createRedisRunQueue } from './redis-run-queue-factory.js';
import { RedisScripts } from './redis-scripts.js';
import { RedisWorkerRegistry } from './redis-worker-registry.js';
import { TaskManagerKeys } from './task-manager-keys.js';

const data = workerData as HeartbeatThreadData;
const port = parentPort!;
const send = (message: HeartbeatThreadMessage) => port.postMessage(message);
// Connection trouble is reported once by the main thread's own connection.
const quiet: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined };
const connections = new RedisConnections(data.target, quiet);
const client = connections.get('command');
const scripts = new RedisScripts(client);
const keys = new TaskManagerKeys(data.keyPrefix, data.partitions);
const workers = new RedisWorkerRegistry(client, scripts, keys);
// (Only its renew is used.)
const runs = createRedisRunQueue({
  connections,
  scripts,
  keys,
  group: data.group,
  history: { maxRuns: 1, ttlSeconds: 1 },
  ensureGroups: async () => undefined,
  announce: (worker) => workers.announce(worker),
});
const heartbeat = new Heartbeat(runs, workers, data.leaseTtlMs, undefined, data.leaderCovers);
const lastSuccess = new BigInt64Array(data.lastSuccess);

/** The worker's description and the runs it holds, by key (kept current by the main thread's messages). */
let description: HeartbeatLoad['description'] | undefined;
let held = new Map<string, HeartbeatLoad['runs'][number]>();
let beating = false;

async function beat(): Promise<void> {
  if (!description || beating) return;
  beating = true;
  try {
    if (client.status === 'wait') await client.connect();
    const report = await heartbeat.beat({ description, runs: [...held.values()] });
    if (!report) return;
    // The thread's copies carry their new lease limit, as the main thread's runs do.
    extendRenewedLeases(report, data.leaseTtlMs, (key) => held.get(key)?.run);
    Atomics.store(lastSuccess, 0, BigInt(report.sentAt));
    send({ type: 'report', report });
  } catch {
    // Redis unreachable: the next beat tries again (the lease watchdog acts if it lasts).
  } finally {
    beating = false;
  }
}

const timer = setInterval(() => void beat(), data.intervalMs);

port.on('message', (command: HeartbeatThreadCommand) => {
  if (command.type === 'load' || command.type === 'change') {
    const first = description === undefined;
    if (command.type === 'load') {
      description = command.load.description;
      held = new Map(command.load.runs.map((run) => [run.key, run]));
    } else {
      description = command.description;
      for (const key of command.removed) held.delete(key);
      for (const run of command.put) held.set(run.key, run);
    }
    if (first) void beat();
    return;
  }
  clearInterval(timer);
  void connections
    .close()
    .catch((error: Error) => send({ type: 'error', message: error.message }))
    .finally(() => port.close());
});
