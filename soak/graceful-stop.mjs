// Stopping a soak instance gracefully (SIGTERM, as a rolling deploy does), for the faults that replace one.
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Takes `target` out of the live set (no probe or request to a process shutting down), sends it SIGTERM and
 * waits for its exit (SIGKILL after 20 s). Records on `record`: pid, the partitions it led (ledPartitions,
 * wasLeader), at, exitMs and, when it led some, when other instances led them all (newLeaderAt, failoverMs).
 */
export async function stopGracefully(soak, target, record) {
  const ledPartitions = soak.ledPartitions(target);
  Object.assign(record, { pid: target.pid, ledPartitions, wasLeader: ledPartitions.length > 0, at: Date.now() });
  target.expectedExit = true;
  target.port = undefined;
  const next = record.wasLeader ? soak.waitForLeader(record.at, target.pid) : undefined;
  target.child.kill('SIGTERM');
  const deadline = Date.now() + 20000;
  while (!target.exited && Date.now() < deadline) await sleep(50);
  if (!target.exited) target.signal('SIGKILL');
  record.exitMs = Date.now() - record.at;
  if (!next) return;
  const successor = await next;
  record.newLeaderAt = successor?.t;
  record.failoverMs = successor ? successor.t - record.at : null;
}

/**
 * The window of a fault that stopped a leader (or its link): the partitions it led had no leader until others
 * led them (+1 s either side), named `cause`.
 */
export function leaderFailoverWindow(soak, f, cause = 'leader failover') {
  return f.wasLeader
    ? [
        {
          fault: f,
          from: f.at - 1000,
          to: (f.newLeaderAt ?? f.endAt) + 1000,
          cause,
          partitions: f.ledPartitions,
        },
      ]
    : [];
}
