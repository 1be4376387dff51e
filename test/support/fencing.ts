/** What the fencing tests (one partition and several) do to a worker process and read from it. */
import type { WorkerProcess } from './cluster.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long before a whole second the worker is stopped, and the latest the stop may land. */
const LEAD_MS = 40;
const LATEST_MS = 10;

/**
 * SIGSTOPs `worker` 40 ms before a whole second: its scheduler's next timer (the per-second slot) is then
 * due before its local step-down timer (at least half a second away), so once resumed it looks at the
 * schedule, with its old token, before it notices that its term is over. A stop that lands late (this process's
 * timer woke late under load; past the second, the step-down would come first and nothing be fenced off) is
 * undone at once (SIGCONT, a few milliseconds of pause) and tried again at the next second.
 */
export async function freezeBeforeSecond(worker: WorkerProcess): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const second = Math.ceil((Date.now() + LEAD_MS + 1) / 1000) * 1000;
    await sleep(second - LEAD_MS - Date.now());
    worker.signal('SIGSTOP');
    if (Date.now() <= second - LATEST_MS) return;
    worker.signal('SIGCONT');
    if (attempt === 5) throw new Error(`could not stop worker ${worker.workerId} before a whole second in 5 tries`);
  }
}

/** The publishes of `worker` the publish script refused for a stale fencing token (the scheduler logs each). */
export function fencedPublishes(worker: WorkerProcess): number {
  const pattern = new RegExp(`Publish refused: the fencing token ${worker.workerId}\\|\\d+ is stale`, 'g');
  return worker.output.match(pattern)?.length ?? 0;
}
