// Soak faults on one instance's Redis link, through the TCP proxy every soak instance sits behind
// (tools/faults/tcp-proxy.mjs): "drop-reply" swallows the reply to an XREADGROUP that delivered runs and
// drops the connection (the runs stay pending on a live consumer: it must read them again), "freeze-link"
// hangs the link (no error, no reply) for longer than a lease (the instance must give its runs and its
// leadership up on local timers before another takes them), "latency" slows every packet down for a while.
import { setTimeout as sleep } from 'node:timers/promises';
import { leaderFailoverWindow } from './graceful-stop.mjs';
import { leasesRetakenBy, takeoverAt } from './leadership.mjs';

const ofKind = (soak, kind) => soak.faults.filter((f) => f.kind === kind);

/**
 * The proxy dropped `instance`'s connections: Redis is unreachable for it alone until ioredis reconnects (its
 * API answers 503 meanwhile, as it should). Noted as a short link outage for the API probes' expectations.
 */
export function linkDropped(instance) {
  const at = Date.now();
  instance.linkFreezes.push({ at, until: at + 2000 });
}

async function dropReply(soak, record) {
  const target = soak.random.pick(soak.live().filter((i) => i.proxy));
  if (!target) return;
  record.pid = target.pid;
  record.wasLeader = soak.ledPartitions(target).length > 0;
  const swallowed = await Promise.race([target.proxy.swallowNextReply(/^XREADGROUP$/), sleep(5000).then(() => null)]);
  target.proxy.cancelSwallows();
  record.swallowed = swallowed !== null;
  if (record.swallowed) linkDropped(target);
  // The instance reconnects and reads its pending runs again.
  await sleep(3000);
}

/**
 * The data is wiped (FLUSHALL) while runs are in flight, then the reply to one instance's next run
 * completion is swallowed and its link dropped: ioredis sends the completion again (and the run lifecycle
 * retries one that timed out). The outcome must be recorded once: a completion after a wipe cannot rely on
 * its acknowledgement to tell the second sending from the first (found by the soak under load, 2026-12-02).
 */
async function wipeLostCompletion(soak, record) {
  const targets = soak.live().filter((i) => i.proxy);
  if (targets.length === 0) return void (record.wiped = false);
  // The completion of a run published before the wipe: its request carries the old data generation (its
  // partition's: one per partition).
  const generations = (
    await Promise.all(soak.deployment.partitionKeys.map((p) => soak.probe.get(p.generation).catch(() => null)))
  ).filter(Boolean);
  record.at = Date.now();
  await soak.flushAll(record.at);
  if (generations.length === 0) return;
  const escaped = generations.map((g) => g.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const completion = new RegExp(`\\r\\n(?:success|failed)\\r\\n[\\s\\S]*\\r\\n(?:${escaped})\\r\\n`);
  const swallowed = await Promise.race([
    ...targets.map((t) => t.proxy.swallowNextReply(completion, { onRequest: true }).then(() => t)),
    sleep(8000).then(() => null),
  ]);
  for (const t of targets) t.proxy.cancelSwallows();
  record.swallowed = swallowed !== null;
  record.pid = swallowed?.pid;
  if (swallowed) linkDropped(swallowed);
  await sleep(3000);
}

/**
 * An instance's link hangs for longer than a lease (its runs are recovered and run elsewhere), and the data
 * is wiped (FLUSHALL) shortly before the link thaws. The frozen instance then finds its runs' messages gone
 * with their data: it must not take them for runs nobody else has (they were recovered before the wipe) and
 * run or record them a second time (found by the simulator, seed 261). Not the leader; with several
 * partitions it may lead some (`ledPartitions`): they fail over while its link hangs.
 */
async function freezeThenWipe(soak, record) {
  const leader = soak.leader();
  const target = soak.random.pick(soak.live().filter((i) => i.proxy && i !== leader));
  if (!target) return void (record.wiped = false);
  const leaseMs = soak.settings.options.runningHeartbeatInterval * 3000;
  const freezeMs = leaseMs * 2 + soak.random.int(1000, 3000);
  Object.assign(record, { pid: target.pid, freezeMs, frozenAt: Date.now() });
  record.ledPartitions = soak.ledPartitions(target);
  const period = { at: record.frozenAt, until: undefined };
  target.linkFreezes.push(period);
  target.proxy.freeze();
  // Two leases: the leader's sweep recovered the frozen instance's runs (another instance ran them).
  await sleep(freezeMs - 500);
  // (`at`: the wipe, as for every wipe fault.)
  record.at = Date.now();
  await soak.flushAll(record.at);
  await sleep(500);
  target.proxy.unfreeze();
  period.until = Date.now();
  record.resumedAt = period.until;
  await sleep(3000);
}

async function freezeLink(soak, record) {
  const leader = soak.leader();
  const candidates = soak.live().filter((i) => i.proxy);
  const target = leader?.proxy && soak.random.next() < 0.6 ? leader : soak.random.pick(candidates);
  if (!target) return;
  const leaseMs = soak.settings.options.runningHeartbeatInterval * 3000;
  const freezeMs = leaseMs + soak.random.int(1000, 3000);
  const ledPartitions = soak.ledPartitions(target);
  Object.assign(record, {
    pid: target.pid,
    ledPartitions,
    wasLeader: ledPartitions.length > 0,
    freezeMs,
    at: Date.now(),
  });
  const period = { at: record.at, until: undefined };
  target.linkFreezes.push(period);
  const next = record.wasLeader
    ? soak.waitForTakeover(record.at, target.pid, record.ledPartitions, freezeMs + 30000)
    : undefined;
  target.proxy.freeze();
  await sleep(freezeMs);
  target.proxy.unfreeze();
  period.until = Date.now();
  record.resumedAt = period.until;
  if (!next) return;
  const successor = await next;
  record.newLeaderAt = successor?.t;
  record.failoverMs = successor ? successor.t - record.at : null;
  // Per partition it led: when it stepped down from it, and when another instance led it.
  const handOvers = record.ledPartitions.map((p) => ({
    stepDown: soak.leaderEvents.find((e) => e.pid === target.pid && e.t >= record.at && !e.partitions.includes(p))?.t,
    successor: takeoverAt(soak.leaderEvents, { after: record.at, victim: target.pid, partitions: [p] }),
  }));
  record.steppedDownAfterMs = handOvers.every((h) => h.stepDown !== undefined)
    ? Math.max(...handOvers.map((h) => h.stepDown)) - record.at
    : null;
  // Two leaders of a partition at once: the successor took over before the frozen one gave up.
  record.overlappedSuccessor = handOvers.some(
    (h) => h.successor !== undefined && (h.stepDown === undefined || h.stepDown > h.successor),
  );
}

async function latency(soak, record) {
  const target = soak.random.pick(soak.live().filter((i) => i.proxy));
  if (!target) return;
  const latencyMs = soak.random.int(50, 300);
  const forMs = soak.random.int(5000, 15000);
  Object.assign(record, {
    pid: target.pid,
    wasLeader: soak.ledPartitions(target).length > 0,
    latencyMs,
    forMs,
    heartbeatMs: soak.settings.options.leaderHeartbeatInterval * 1000,
  });
  target.proxy.setLatency(latencyMs);
  await sleep(forMs);
  target.proxy.setLatency(0);
}

export const dropReplyFault = {
  /** It acts on one instance's own TCP proxy to Redis (soak/extra-faults.mjs: standalone only). */
  needsLink: true,
  run: dropReply,
  analyze(soak) {
    const faults = ofKind(soak, 'drop-reply');
    return { count: faults.length, swallowed: faults.filter((f) => f.swallowed).length, failures: [] };
  },
  describe: (a) => `${a.count} (a reply that delivered runs swallowed ${a.swallowed} times, then the link dropped)`,
};

export const wipeLostCompletionFault = {
  /** It acts on one instance's own TCP proxy to Redis (soak/extra-faults.mjs: standalone only). */
  needsLink: true,
  run: wipeLostCompletion,
  // A wipe (soak/wipes.mjs): its missed slots are explained as for the flushall fault.
  analyze(soak) {
    const faults = ofKind(soak, 'wipe-lost-completion');
    return { count: faults.length, swallowed: faults.filter((f) => f.swallowed).length, failures: [] };
  },
  describe: (a) =>
    `${a.count} (FLUSHALL, then the reply to a run completion swallowed ${a.swallowed} times and the link dropped)`,
};

export const freezeThenWipeFault = {
  /** It acts on one instance's own TCP proxy to Redis (soak/extra-faults.mjs: standalone only). */
  needsLink: true,
  run: freezeThenWipe,
  // A wipe (soak/wipes.mjs): its missed slots are explained as for the flushall fault. A run recorded twice
  // fails the soak's own exactly-once checks. Before the wipe, the partitions the frozen instance led (with
  // several partitions) failed over.
  windows: (soak, f) =>
    f.ledPartitions?.length > 0
      ? [
          {
            fault: f,
            from: f.frozenAt - 1000,
            to: f.at + 1000,
            cause: 'leader link frozen',
            partitions: f.ledPartitions,
          },
        ]
      : [],
  analyze(soak) {
    return { count: ofKind(soak, 'freeze-then-wipe').length, failures: [] };
  },
  describe: (a) => `${a.count} (a link hung for two leases, FLUSHALL just before it thawed)`,
};

export const freezeLinkFault = {
  /** It acts on one instance's own TCP proxy to Redis (soak/extra-faults.mjs: standalone only). */
  needsLink: true,
  run: freezeLink,
  /** A frozen leader: its partitions have no leader until the successors, slots follow the misfire policy. */
  windows: (soak, f) => leaderFailoverWindow(soak, f, 'leader link frozen'),
  analyze(soak) {
    const faults = ofKind(soak, 'freeze-link');
    const leaders = faults.filter((f) => f.wasLeader);
    const overlapped = leaders.filter((f) => f.overlappedSuccessor).length;
    return {
      count: faults.length,
      leaders: leaders.length,
      maxStepDownMs: Math.max(0, ...leaders.map((f) => f.steppedDownAfterMs ?? 0)),
      overlapped,
      failures: overlapped > 0 ? [`${overlapped} frozen leader(s) still led when the successor took over`] : [],
    };
  },
  describe: (a) =>
    `${a.count} (link hung past the lease; ${a.leaders} on the leader, which stepped down within ${a.maxStepDownMs} ms, ` +
    `before its successor: ${a.leaders - a.overlapped} of ${a.leaders})`,
};

export const latencyFault = {
  /** It acts on one instance's own TCP proxy to Redis (soak/extra-faults.mjs: standalone only). */
  needsLink: true,
  run: latency,
  /**
   * A round trip under a heartbeat leaves every renewal in time: the slowed instance must keep its leases. (Its
   * renewals were once paced from their replies, so one of over half a heartbeat stepped it down again and again,
   * taking its leases back each time, their slots unpublished in the gaps.)
   */
  analyze(soak) {
    const faults = ofKind(soak, 'latency');
    const failures = [];
    for (const f of faults) {
      if (f.heartbeatMs === undefined || 2 * f.latencyMs >= f.heartbeatMs) continue;
      const retaken = leasesRetakenBy(soak.leaderEvents, { pid: f.pid, from: f.at, to: f.at + f.forMs });
      if (retaken.length === 0) continue;
      failures.push(
        `fault ${f.n}: ${f.latencyMs} ms of latency each way (round trip under a heartbeat) cost pid ${f.pid} ` +
          `its leases of partitions ${retaken.join(', ')}, which it took back`,
      );
    }
    return { count: faults.length, maxLatencyMs: Math.max(0, ...faults.map((f) => f.latencyMs ?? 0)), failures };
  },
  describe: (a) => `${a.count} (up to ${a.maxLatencyMs} ms each way for 5–15 s)`,
};
