/**
 * The heartbeat thread (see heartbeat-thread.ts): its own Redis connection, a timer, and the same heartbeat
 * as the main thread's. Started by `HeartbeatThread` with `HeartbeatThreadData`.
 */
import type { LoggerService } from '@nestjs/common';
import { parentPort, workerData } from 'node:worker_threads';
import { Heartbeat, type HeartbeatLoad } from '../engine/heartbeat.js';
import type { HeartbeatThreadCommand, HeartbeatThreadData, HeartbeatThreadMessage } from './heartbeat-thread.js';
import { RedisConnections } from './redis-connections.js';
import { RedisRunQueue } from './redis-run-queue.js';
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
const keys = new TaskManagerKeys(data.keyPrefix);
const history = { maxRuns: 1, ttlSeconds: 1 };
const runs = new RedisRunQueue(connections, scripts, keys, data.group, history, async () => undefined);
const heartbeat = new Heartbeat(runs, new RedisWorkerRegistry(client, scripts, keys), data.leaseTtlMs);
const lastSuccess = new BigInt64Array(data.lastSuccess);

let load: HeartbeatLoad | undefined;
let beating = false;

async function beat(): Promise<void> {
  if (!load || beating) return;
  beating = true;
  try {
    if (client.status === 'wait') await client.connect();
    const report = await heartbeat.beat(load);
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
  if (command.type === 'load') {
    const first = load === undefined;
    load = command.load;
    if (first) void beat();
    return;
  }
  clearInterval(timer);
  void connections
    .close()
    .catch((error: Error) => send({ type: 'error', message: error.message }))
    .finally(() => port.close());
});
