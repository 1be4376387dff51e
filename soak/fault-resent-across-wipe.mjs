// Soak faults in which a script ran on Redis, its reply was lost with its connection, the data was wiped
// (FLUSHALL) and the script was then sent again (ioredis re-sends a command still waiting for its reply once it
// reconnects; the run lifecycle retries an outcome): the two engine bugs the simulator found this way
// (docs/simulation.md, findings 4 and 5) must stay found against real Redis and real processes.
//   lost-failure-then-wipe: the failure of a run that queues a retry is recorded, its reply lost; the link
//     stays frozen while the retry runs elsewhere; FLUSHALL; the thawed link sends the failure again. Before
//     the fix (wire/lease-limit.ts outcomeLeaseLimit) it was recorded again and attempt 2 ran twice.
//   wipe-register-resent: FLUSHALL; the reply to the schedule registration that restores the schedule is lost
//     and the command sent again, which answers "0 restored". Before the fix (the reconciliation pass wakes the
//     leader's scheduler every time) no slot ran until something else woke the scheduler (up to 5 min).
import { setTimeout as sleep } from 'node:timers/promises';
import { linkDropped } from './fault-link.mjs';

const ofKind = (soak, kind) => soak.faults.filter((f) => f.kind === kind);
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Resolves to what `find` returns once it returns something, or to undefined after `ms`. */
async function waitFor(find, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found || Date.now() >= deadline) return found || undefined;
    await sleep(20);
  }
}

// ---------------------------------------------------------------------------------------------------------
// lost-failure-then-wipe (finding 5)

/** The task the fault triggers: it fails every time; its one retry is due 1 s after the failure. */
const RETRIED = 'retried';

/**
 * A `complete-runs` request recording attempt 1 of `retried` as failed: an item's task id, status, started
 * at, duration, error, slot and attempt (COMPLETE_RUNS_ARGS in libs/task-manager/src/wire/script-args.ts).
 */
const FIRST_FAILURE = new RegExp(
  `\\r\\nMix/${RETRIED}\\r\\n\\$6\\r\\nfailed\\r\\n(?:\\$\\d+\\r\\n[^\\r]*\\r\\n){4}\\$1\\r\\n1\\r\\n`,
);

/** The executions of attempt 2 (the retry) of the run a lost-failure-then-wipe fault failed. */
const retriesOf = (soak, f) =>
  soak.executions.filter((e) => e.task === RETRIED && e.slot === f.slot && e.attempt === 2);

async function lostFailureThenWipe(soak, record) {
  const leaseMs = soak.settings.options.runningHeartbeatInterval * 3000;
  // (Until its FLUSHALL: a fault that found nothing to act on is no wipe, soak/wipes.mjs.)
  record.wiped = false;
  let target = null;
  // An instance not leading its partition must fail it (a frozen leader would publish nothing): triggered
  // again when its leader ran it.
  const partition = soak.partitionOfTask(RETRIED);
  for (let tries = 1; tries <= 3 && !target; tries++) {
    const candidates = soak.live().filter((i) => i.proxy && !soak.ledPartitions(i).includes(partition));
    const via = soak.random.pick(soak.live());
    if (candidates.length === 0 || !via) return;
    // The reply swallowed and its connection dropped; at once every other connection of the instance is
    // dropped too and the link frozen: ioredis must not reconnect and send the completion again before the
    // wipe, and no read already blocked on Redis may take the retry here.
    const swallowing = candidates.map((i) =>
      i.proxy.swallowNextReply(FIRST_FAILURE, { onRequest: true }).then(() => {
        i.proxy.freeze();
        i.proxy.dropAll();
        return i;
      }),
    );
    record.tries = tries;
    record.triggeredAt = Date.now();
    record.triggered = (await soak.api(via, 'POST', `/tasks/trigger?task_group_name=Mix&task_name=${RETRIED}`)).status;
    target = await Promise.race([...swallowing, sleep(4000).then(() => null)]);
    for (const i of candidates) i.proxy.cancelSwallows();
  }
  record.swallowed = target !== null;
  if (!target) return;
  const swallowedAt = Date.now();
  const period = { at: swallowedAt, until: undefined };
  target.linkFreezes.push(period);
  Object.assign(record, { pid: target.pid, swallowedAt });
  // (Its events come on stdout, not through the frozen link.)
  const failed = await waitFor(
    () =>
      soak.executions.find(
        (e) => e.task === RETRIED && e.pid === target.pid && e.attempt === 1 && e.start >= record.triggeredAt,
      ),
    1000,
  );
  record.slot = failed?.slot;
  // The retry is published once its delay is over and runs elsewhere. The data is wiped and the link thawed
  // before the failure's lease limit had it been sent uncapped (its start + a lease): a sending that reaches
  // Redis then takes the run for one kept through the wipe unless the limit is capped (finding 5).
  const retry = await waitFor(
    () => failed && retriesOf(soak, record).find((e) => e.end !== undefined),
    swallowedAt + leaseMs - 800 - Date.now(),
  );
  record.retryRanBeforeWipe = Boolean(retry);
  // (`at`: the wipe, as for every wipe fault.)
  record.at = Date.now();
  record.wiped = true;
  await soak.flushAll(record.at);
  target.proxy.unfreeze();
  period.until = Date.now();
  record.thawedAfterMs = period.until - swallowedAt;
  // A retry queued a second time would run within its delay, a look of the leader and its run.
  await sleep(4000);
}

export const lostFailureThenWipeFault = {
  /** It acts on one instance's own TCP proxy to Redis (soak/extra-faults.mjs: standalone only). */
  needsLink: true,
  mixEntries: [
    {
      name: RETRIED,
      crons: ['0 0 1 1 *'],
      ms: [5, 30],
      failRate: 1,
      retryBackoff: 1,
      retryBackoffMax: 1,
      maxAttempts: 2,
    },
  ],
  run: lostFailureThenWipe,
  /**
   * Runs delivered to the instance just before its connections dropped (a read's reply, a start request lost
   * with them) stay its own until their lease expires, and the wipe erases them first: the slots due from a
   * second before the swallow to the wipe. From the wipe on, it is a wipe (soak/wipes.mjs), explained as for
   * the flushall fault.
   */
  windows: (soak, f) =>
    f.swallowedAt === undefined
      ? []
      : [{ fault: f, from: f.swallowedAt - 1000, to: f.at, cause: 'link dropped and frozen until a wipe' }],
  analyze(soak) {
    const leaseMs = soak.settings.options.runningHeartbeatInterval * 3000;
    const faults = ofKind(soak, 'lost-failure-then-wipe');
    const swallowed = faults.filter((f) => f.swallowed);
    const twice = swallowed.filter((f) => f.slot !== undefined && retriesOf(soak, f).length > 1);
    return {
      count: faults.length,
      swallowed: swallowed.length,
      // The bug's conditions met: the retry ran before the wipe, the link thawed before the uncapped limit.
      armed: swallowed.filter((f) => f.retryRanBeforeWipe && f.thawedAfterMs < leaseMs).length,
      failures: twice.map(
        (f) =>
          `fault #${f.n}: attempt 2 of ${RETRIED}@${f.slot} ran ${retriesOf(soak, f).length} times (the failure of ` +
          'attempt 1, sent again after the wipe, queued its retry again)',
      ),
    };
  },
  describe: (a) =>
    `${a.count} (the reply to a failure that queued a retry swallowed ${a.swallowed} times, the link frozen ` +
    `while the retry ran elsewhere ${a.armed} times, FLUSHALL, the failure sent again: the retry ran once)`,
};

// ---------------------------------------------------------------------------------------------------------
// wipe-register-resent (finding 4)

/**
 * A `register-tasks` request of any partition of the deployment whose keys are `keys` (TaskManagerKeys),
 * recognised by its keys: the partition's schedule, signatures, dynamic definitions.
 */
const registerRequest = (keys) => {
  const one = (p) =>
    `${escape(p.schedule)}\\r\\n\\$\\d+\\r\\n${escape(p.signatures)}\\r\\n\\$\\d+\\r\\n${escape(p.dynamic)}\\r\\n`;
  const partitions = Array.from({ length: keys.partitions }, (_, i) => one(keys.partition(i)));
  return new RegExp(partitions.length === 1 ? partitions[0] : `(?:${partitions.join('|')})`);
};

/**
 * How long after the wipe the slots may take to resume: a new leader (the wiped lease lapses: 3 heartbeats,
 * then a retry), then the reconciliation pass that wakes its scheduler, plus a margin for a loaded machine.
 */
export const resumeBoundMs = (options) =>
  options.reconciliationInterval * 1000 +
  options.leaderHeartbeatInterval * 3000 +
  options.leaderRetryInterval * 1000 +
  5000;

/** The first run (start time) of a static per-second task due a second or more after the fault's wipe. */
function firstRunAfter(soak, f) {
  const perSecond = new Set([...soak.mix.tasks].filter(([, t]) => t.category === 'per-second').map(([name]) => name));
  let first;
  for (const e of soak.executions) {
    if (perSecond.has(e.task) && e.slot >= f.at + 1000 && (first === undefined || e.start < first)) first = e.start;
  }
  return first;
}

async function wipeRegisterResent(soak, record) {
  const targets = soak.live().filter((i) => i.proxy);
  if (targets.length === 0) return void (record.wiped = false);
  const swallowing = targets.map((i) =>
    i.proxy.swallowNextReply(registerRequest(soak.keys), { onRequest: true }).then(() => {
      linkDropped(i);
      return { instance: i, at: Date.now() };
    }),
  );
  record.at = Date.now();
  await soak.flushAll(record.at);
  // The new leader restores the schedule at once (reconciliation on gaining the lease).
  const swallowed = await Promise.race([...swallowing, sleep(10000).then(() => null)]);
  for (const t of targets) t.proxy.cancelSwallows();
  record.swallowed = swallowed !== null;
  if (swallowed) {
    record.pid = swallowed.instance.pid;
    record.swallowedAfterMs = swallowed.at - record.at;
  }
  // Until the slots resume or the bound is over: the next fault must not be what wakes the scheduler.
  const bound = resumeBoundMs(soak.settings.options);
  await waitFor(() => firstRunAfter(soak, record), record.at + bound + 2000 - Date.now());
  // The registration was the new leader's (the bug's case), not the old one's before it stepped down.
  record.byNewLeader = Boolean(
    swallowed && soak.leaderEvents.some((e) => e.pid === swallowed.instance.pid && e.isLeader && e.t >= record.at),
  );
}

export const wipeRegisterResentFault = {
  /** It acts on one instance's own TCP proxy to Redis (soak/extra-faults.mjs: standalone only). */
  needsLink: true,
  run: wipeRegisterResent,
  // A wipe (soak/wipes.mjs): its missed slots, until every per-second task ran again, are explained as for
  // the flushall fault; how long that took is what this fault checks.
  analyze(soak) {
    const faults = ofKind(soak, 'wipe-register-resent');
    const boundMs = resumeBoundMs(soak.settings.options);
    const resumed = faults.map((f) => {
      const first = firstRunAfter(soak, f);
      return { f, ms: first === undefined ? null : first - f.at };
    });
    const late = resumed.filter(({ ms }) => ms === null || ms > boundMs);
    return {
      count: faults.length,
      swallowed: faults.filter((f) => f.swallowed).length,
      byNewLeader: faults.filter((f) => f.byNewLeader).length,
      maxResumedAfterMs: Math.max(0, ...resumed.map(({ ms }) => ms ?? 0)),
      notResumed: resumed.filter(({ ms }) => ms === null).length,
      boundMs,
      failures: late.map(
        ({ f, ms }) =>
          `fault #${f.n}: no per-second slot ran within ${boundMs} ms of the wipe ` +
          `(${ms === null ? 'none ran again' : `first after ${ms} ms`})`,
      ),
    };
  },
  describe: (a) =>
    `${a.count} (FLUSHALL, then the reply to the schedule's restoring registration swallowed ${a.swallowed} times ` +
    `(${a.byNewLeader} by the new leader) and the link dropped: slots ran again within ${a.maxResumedAfterMs} ms ` +
    `(bound ${a.boundMs} ms${a.notResumed > 0 ? `; ${a.notResumed} never` : ''}))`,
};
