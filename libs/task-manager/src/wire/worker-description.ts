import type { WorkerDescription, WorkerInfo } from '../engine/coordination.port.js';

/**
 * A worker's description of itself as stored in the worker info HASH (workerId -> JSON object), written by
 * the heartbeat scripts (touch-worker, renew-runs) from this encoding.
 */
export function encodeWorkerDescription(description: WorkerDescription): string {
  return JSON.stringify(description);
}

/** The details a stored description gives; none when it is missing or malformed (only the details are lost). */
export function decodeWorkerDescription(text: string | undefined): Partial<WorkerInfo> {
  if (text === undefined) return {};
  try {
    const parsed = JSON.parse(text) as Partial<WorkerInfo> | null;
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}
