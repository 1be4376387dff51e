/** What the fencing tests (one partition and several) do to a worker process and read from it. */
import type { WorkerProcess } from './cluster.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SIGSTOPs `worker` 40 ms before a whole second: its scheduler's next timer (the per-second slot) is then
 * due before its local step-down timer (at least half a second away), so once resumed it looks at the
 * schedule, with its old token, before it notices that its term is over.
 */
export async function freezeBeforeSecond(worker: WorkerProcess): Promise<void> {
  await sleep(1000 - ((Date.now() + 40) % 1000));
  worker.signal('SIGSTOP');
}

/** The publishes of `worker` the publish script refused for a stale fencing token (the scheduler logs each). */
export function fencedPublishes(worker: WorkerProcess): number {
  const pattern = new RegExp(`Publish refused: the fencing token ${worker.workerId}\\|\\d+ is stale`, 'g');
  return worker.output.match(pattern)?.length ?? 0;
}
