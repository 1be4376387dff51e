// Soak faults kept in their own modules, by kind: { run(soak, record), analyze(soak), describe(analysis) },
// and optionally windows(soak, fault) (the slots a fault may cost, for the missed-slot classification) and
// mixEntries (tasks the fault triggers, added to the mix when the fault is on the menu). soak.mjs runs them
// from its fault menu and adds each analysis to the report (`extraFaults`). `needsLink`: the fault acts on one
// instance's own TCP proxy to Redis (tools/faults/tcp-proxy.mjs), which only the standalone topology gives
// (on a Redis Cluster the instances reach the masters directly): off the menu there.
import { clockSkewFault } from './fault-clock-skew.mjs';
import { cpuBoundFault } from './fault-cpu-bound.mjs';
import { dynamicRedefineFault } from './fault-dynamic-redefine.mjs';
import { freezeWorkerFault } from './fault-freeze-worker.mjs';
import { lateDynamicChangeFault } from './fault-late-dynamic-change.mjs';
import {
  dropReplyFault,
  freezeLinkFault,
  freezeThenWipeFault,
  latencyFault,
  wipeLostCompletionFault,
} from './fault-link.mjs';
import { poisonPillFault } from './fault-poison-pill.mjs';
import { lostFailureThenWipeFault, wipeRegisterResentFault } from './fault-resent-across-wipe.mjs';
import { sigtermLongFault } from './fault-sigterm-long.mjs';
import { staticRemovalFault } from './fault-static-removal.mjs';

export const EXTRA_FAULTS = {
  'sigterm-long': sigtermLongFault,
  'drop-reply': dropReplyFault,
  'wipe-lost-completion': wipeLostCompletionFault,
  'freeze-link': freezeLinkFault,
  'freeze-then-wipe': freezeThenWipeFault,
  'lost-failure-then-wipe': lostFailureThenWipeFault,
  'wipe-register-resent': wipeRegisterResentFault,
  latency: latencyFault,
  'clock-skew': clockSkewFault,
  'poison-pill': poisonPillFault,
  'cpu-bound': cpuBoundFault,
  'dynamic-redefine': dynamicRedefineFault,
  'static-removal': staticRemovalFault,
  'freeze-worker': freezeWorkerFault,
  'late-dynamic-change': lateDynamicChangeFault,
};

/** The analysis of every extra fault kind that occurred. */
export function analyzeExtraFaults(soak) {
  const kinds = new Set(soak.faults.map((f) => f.kind));
  return Object.fromEntries(
    Object.entries(EXTRA_FAULTS)
      .filter(([kind]) => kinds.has(kind))
      .map(([kind, fault]) => [kind, fault.analyze(soak)]),
  );
}

/** The fault kinds of `kinds` that cannot run in `topology` (those acting on an instance's own proxy, on a cluster). */
export function faultsUnavailableIn(topology, kinds) {
  return topology === 'cluster' ? kinds.filter((kind) => EXTRA_FAULTS[kind]?.needsLink) : [];
}
