// Who leads which partition, from the instances' `leader` events (test/fixtures/cluster-worker.mjs: one per
// change of the partitions an instance leads, `{ pid, isLeader, partitions, t }`). With one partition an
// instance leads partition 0 or nothing; with several, each partition has its own lease, and an instance
// may lead several: a leader fault hits the partitions its victim led, and its failover lasts until every one
// of them is led by another instance.

/** The partitions instance `pid` leads by its last event at or before `t` (none before its first). */
export function ledBy(events, pid, t = Infinity) {
  let last;
  for (const e of events) if (e.pid === pid && e.t <= t) last = e;
  return last?.isLeader ? [...last.partitions] : [];
}

/** Every acquisition of a partition's lease: `{ pid, partition, t }`, in the order of the events. */
export function acquisitionsOf(events) {
  const held = new Map();
  const gains = [];
  for (const e of events) {
    const before = held.get(e.pid) ?? new Set();
    const now = new Set(e.isLeader ? e.partitions : []);
    for (const partition of now) if (!before.has(partition)) gains.push({ pid: e.pid, partition, t: e.t });
    held.set(e.pid, now);
  }
  return gains;
}

/**
 * When every partition of `partitions` (those `victim` led) was led by another instance after `after`: per
 * partition, the first acquisition by another instance at or after `after` — or `after` itself, when the last
 * acquisition before it was already another instance's that still led it then (a hand-over just before the
 * fault, the victim's last event not yet received). Undefined while one is not. With one partition: the first
 * acquisition by another instance after the fault.
 * @param {{ after: number, victim?: number, partitions: number[], isAlive?: (pid: number, t: number) => boolean }} query
 */
export function takeoverAt(events, { after, victim, partitions, isAlive = () => true }) {
  const gains = acquisitionsOf(events);
  let at = after;
  for (const partition of partitions) {
    const before = gains.filter((g) => g.partition === partition && g.t <= after).at(-1);
    if (
      before &&
      before.pid !== victim &&
      isAlive(before.pid, after) &&
      ledBy(events, before.pid, after).includes(partition)
    )
      continue;
    const next = gains.find((g) => g.partition === partition && g.t >= after && g.pid !== victim);
    if (!next) return undefined;
    at = Math.max(at, next.t);
  }
  return at;
}

/**
 * The partitions `pid` led at `from`, stopped leading within (`from`, `to`], and was the next to acquire
 * again within the window: leases it stepped down from although nobody took them over (e.g. renewals that
 * could not keep up with a slow link), their slots unpublished in each gap.
 * @param {{ pid: number, from: number, to: number }} window
 */
export function leasesRetakenBy(events, { pid, from, to }) {
  const gains = acquisitionsOf(events);
  const retaken = [];
  for (const partition of ledBy(events, pid, from)) {
    const lostAt = events.find(
      (e) => e.pid === pid && e.t > from && e.t <= to && !(e.isLeader && e.partitions.includes(partition)),
    )?.t;
    if (lostAt === undefined) continue;
    const next = gains.find((g) => g.partition === partition && g.t >= lostAt);
    if (next && next.pid === pid && next.t <= to) retaken.push(partition);
  }
  return retaken;
}
