import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { realTimers, type EngineTimers } from './timers.js';

/** Who this instance is in the cluster. */
export interface WorkerIdentity {
  /** Unique id: `<service>-<host>-<pid>-<random>`. */
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  /** When the instance was created (ms). */
  readonly startedAt: number;
}

/** A fresh identity for this instance. */
export function createWorkerIdentity(
  serviceName: string,
  timers: Pick<EngineTimers, 'now'> = realTimers,
): WorkerIdentity {
  const host = hostname();
  const safeHost = host.replace(/[^\w.-]/g, '_').slice(0, 40);
  return {
    id: `${serviceName}-${safeHost}-${process.pid}-${randomBytes(3).toString('hex')}`,
    host,
    pid: process.pid,
    startedAt: timers.now(),
  };
}
