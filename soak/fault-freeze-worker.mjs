// Soak fault "freeze-worker": a worker (not the leader) is frozen whole (SIGSTOP) just as Redis answers its
// request to start runs, for longer than it takes its leases to expire and its runs to be recovered elsewhere,
// then resumed (SIGCONT). The start answer waits in its socket meanwhile: on resuming, the worker finds both
// its lease deadlines past and the runs' start granted. A run given up (lease lost) while its start request
// was in flight must be handed back, never run: no (task, slot, attempt) may run twice (found by the
// simulator). Legitimately caused: the frozen worker's runs are recovered and run elsewhere; the handlers it
// was running finish when it resumes and their outcomes are refused (excused re-executions, "worker frozen
// while it ran", see analysis/executions.mjs).
import { setTimeout as sleep } from 'node:timers/promises';
import { leaderFailoverWindow } from './graceful-stop.mjs';
import { makeExcuse } from './analysis/executions.mjs';

/** Longest wait for a start request of the victim before it is frozen anyway. */
const CATCH_START_MS = 5000;

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A start-runs request of any partition of the deployment whose keys are `keys` (TaskManagerKeys of the built
 * library), recognised by its keys: the partition's dynamic definitions, stream high and normal, one-off queue.
 */
export function startRunsRequest(keys) {
  const key = (name) => `\\$\\d+\\r\\n${escapeRegExp(name)}\\r\\n`;
  const one = (p) => key(p.dynamic) + key(p.streamHigh) + key(p.streamNormal) + key(p.oneOff);
  const partitions = Array.from({ length: keys.partitions }, (_, i) => one(keys.partition(i)));
  return new RegExp(partitions.length === 1 ? partitions[0] : `(?:${partitions.join('|')})`);
}

/**
 * The runs of a start-runs request (its text, possibly cut short: the complete ones): after the 5 keys, ARGV
 * is the task state prefix, the lease TTL, the group, the consumer, the count, then 11 values per run
 * (START_RUNS_ARGS in libs/task-manager/src/wire/script-args.ts: taskId, priority, messageId, allowParallel,
 * dynamic, slot, attempt, …).
 */
export function startedRunsOf(text) {
  const values = [];
  const bulk = /\$(\d+)\r\n/g;
  let match;
  while ((match = bulk.exec(text))) {
    const start = match.index + match[0].length;
    const end = start + Number(match[1]);
    if (end > text.length) break;
    values.push(text.slice(start, end));
    bulk.lastIndex = end + 2;
  }
  // EVALSHA, sha, key count, 5 keys, 5 arguments, then the runs.
  const first = values.findIndex((v) => /^(EVALSHA|EVAL)$/i.test(v));
  if (first < 0) return [];
  const runs = [];
  for (let p = first + 3 + 5 + 5; p + 11 <= values.length; p += 11) {
    const taskId = values[p];
    runs.push({
      task: decodeURIComponent(taskId.slice(taskId.indexOf('/') + 1)),
      slot: Number(values[p + 5]),
      attempt: Number(values[p + 6]),
    });
  }
  return runs;
}

/**
 * Calls `onRequest(request)` once, when the reply to a request whose text matches `pattern` comes back through
 * `proxy`, before the proxy forwards it. Returns a function that stops watching. (The proxy pairs every reply
 * with its request in `matchSwallow`; watching it there forwards everything unchanged.)
 */
function onNextReply(proxy, pattern, onRequest) {
  const stop = () => delete proxy.matchSwallow;
  proxy.matchSwallow = (request, buffer, offset) => {
    if (pattern.test(request.text)) {
      stop();
      onRequest(request);
    }
    return Object.getPrototypeOf(proxy).matchSwallow.call(proxy, request, buffer, offset);
  };
  return stop;
}

async function run(soak, record) {
  const leader = soak.leader();
  const target = soak.random.pick(soak.live().filter((i) => i.proxy && i !== leader));
  if (!target) {
    record.skipped = 'no live worker but the leader';
    return;
  }
  // Two leases and 1-3 s: its leases expire, the leader notices it silent and recovers its runs (a reclaim
  // is due a lease after a worker falls silent, and the leader sweeps every lease in any case).
  const leaseMs = soak.settings.options.runningHeartbeatInterval * 3000;
  const freezeMs = 2 * leaseMs + soak.random.int(1000, 3000);
  // (With several partitions, the worker may lead some: they fail over while it is frozen.)
  const ledPartitions = soak.ledPartitions(target);
  Object.assign(record, { pid: target.pid, ledPartitions, wasLeader: ledPartitions.length > 0, freezeMs });
  let stopWatching;
  const caught = new Promise((resolve) => {
    stopWatching = onNextReply(target.proxy, startRunsRequest(soak.keys), (request) => {
      target.signal('SIGSTOP');
      resolve(request);
    });
  });
  const request = await Promise.race([caught, sleep(CATCH_START_MS).then(() => null)]);
  stopWatching();
  if (!request) target.signal('SIGSTOP');
  if (!target.frozen) return; // (it died meanwhile)
  record.at = target.stops.at(-1).at;
  record.duringStart = request !== null;
  record.startInFlight = request ? startedRunsOf(request.text) : [];
  const next = record.wasLeader
    ? soak.waitForTakeover(record.at, target.pid, ledPartitions, freezeMs + 30000)
    : undefined;
  await sleep(freezeMs);
  target.signal('SIGCONT');
  record.resumedAt = Date.now();
  // The resumed worker gives up what it lost and hands back what it held.
  await sleep(leaseMs);
  if (next) record.newLeaderAt = (await next)?.t;
}

const sameRun = (a, b) => a.task === b.task && a.slot === b.slot && a.attempt === b.attempt;

/**
 * The frozen workers' runs recovered elsewhere (those it was running, and those whose start was in flight),
 * and the failure this fault guards: a run recovered by another instance during the freeze (its lease lost)
 * whose handler the resumed worker started anyway — even when it aborted it at once, the handler ran.
 */
function analyze(soak) {
  const faults = soak.faults.filter((f) => f.kind === 'freeze-worker' && f.resumedAt !== undefined);
  const excuse = makeExcuse(soak);
  let running = 0;
  let startsInFlight = 0;
  const recoveredAfterMs = [];
  const ranAfterRecovery = [];
  for (const f of faults) {
    // (Started during the freeze: recovered from the frozen worker, not from a later fault.)
    const recoveredElsewhere = (run) =>
      soak.executions.find((e) => e.pid !== f.pid && e.start >= f.at && e.start <= f.resumedAt && sameRun(e, run));
    const own = soak.executions.filter((e) => e.pid === f.pid);
    const held = own.filter((e) => e.start <= f.at && (e.end === undefined || e.end > f.at));
    const inFlight = (f.startInFlight ?? []).filter((r) => !held.some((e) => sameRun(e, r)));
    running += held.length;
    startsInFlight += inFlight.length;
    for (const run of [...held, ...inFlight]) {
      const recovered = recoveredElsewhere(run);
      if (recovered) recoveredAfterMs.push(recovered.start - f.at);
    }
    for (const e of own.filter((x) => x.start >= f.resumedAt)) {
      const other = recoveredElsewhere(e);
      if (other && !excuse(other, e)) {
        const { task, slot, attempt } = e;
        ranAfterRecovery.push({
          fault: f.n,
          task,
          slot,
          attempt,
          at: e.start,
          aborted: Boolean(e.aborted),
          elsewhere: other.pid,
        });
      }
    }
  }
  const aborted = ranAfterRecovery.filter((r) => r.aborted).length;
  return {
    count: faults.length,
    duringStart: faults.filter((f) => f.duringStart).length,
    maxFreezeMs: Math.max(0, ...faults.map((f) => f.freezeMs)),
    running,
    startsInFlight,
    recovered: recoveredAfterMs.length,
    maxRecoveredAfterMs: recoveredAfterMs.length > 0 ? Math.max(...recoveredAfterMs) : null,
    ranAfterRecovery: ranAfterRecovery.slice(0, 20),
    failures:
      ranAfterRecovery.length > 0
        ? [
            `${ranAfterRecovery.length} run(s) recovered elsewhere during a freeze were started again by the resumed ` +
              `worker (${aborted} of them aborted at once)`,
          ]
        : [],
  };
}

/** The fault, as the soak's fault menu uses it. */
export const freezeWorkerFault = {
  /** It acts on one instance's own TCP proxy to Redis (soak/extra-faults.mjs: standalone only). */
  needsLink: true,
  run,
  // The partitions the frozen worker led, with several partitions, have no leader until others lead them.
  windows: leaderFailoverWindow,
  analyze,
  describe: (a) =>
    `${a.count} (a worker SIGSTOPped for up to ${a.maxFreezeMs} ms, ${a.duringStart} times as Redis answered its ` +
    `start request; ${a.running} runs it was running and ${a.startsInFlight} whose start was in flight, ` +
    `${a.recovered} recovered elsewhere, at most ${a.maxRecoveredAfterMs ?? '—'} ms after the freeze; ` +
    `run by the resumed worker after their recovery: ${a.ranAfterRecovery.length})`,
};
