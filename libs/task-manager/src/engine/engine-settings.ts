import type { ResolvedTaskManagerOptions } from '../options/resolved-options.js';
import type { ConsumerSettings } from './consumer.js';
import type { ElectionSettings } from './leader-elector.js';
import type { OrphanSweeperSettings } from './orphan-sweeper.js';
import type { ReconcilerSettings } from './reconciler.js';
import type { BackoffDefaults } from './backoff-delay.js';
import type { SchedulerSettings } from './scheduler.js';
import type { EventLoopWatchSettings } from './event-loop-watch.js';
import type { LeaseKeeperSettings } from './lease-keeper.js';
import type { RetryPace } from './retry-pace.js';
import type { LeaseBalancerSettings } from './lease-balancer.js';
import type { WorkerWatchSettings } from './worker-watch.js';

/** Every how many lease renewals the leader checks the workers (and records its own heartbeat). */
const CHECK_WORKERS_EVERY = 2;

/** How often an idle leader reads the server's clock (ms). */
const CLOCK_SAMPLE_MS = 30_000;

/** The orchestrator's and start-up's own bounds (ms). */
export interface EngineLifecycleSettings {
  /** Longest wait for the first connection (e.g. Sentinel retries unreachable sentinels for ever). */
  connectDeadlineMs: number;
  /** Longest wait for one Redis step of shutdown (release, notice, deregistration). */
  shutdownStepMs: number;
  /** Pass that catches a missed change notice and checks the deployment. */
  syncIntervalMs: number;
  /** Pause between two start attempts while Redis does not answer. */
  startRetry: RetryPace;
}

/**
 * Every duration and bound of the engine, in milliseconds, derived once from the options: the one place that
 * says what each policy is.
 */
export interface EngineSettings {
  election: ElectionSettings;
  scheduler: SchedulerSettings;
  reconciler: ReconcilerSettings;
  sweeper: OrphanSweeperSettings;
  consumer: ConsumerSettings;
  leaseKeeper: LeaseKeeperSettings;
  loopWatch: EventLoopWatchSettings;
  lifecycle: EngineLifecycleSettings;
  /** With several partitions: the read of the workers' last-seen times (live count, dead-worker check). */
  workerWatch: WorkerWatchSettings;
  /** With several partitions: the spread of the partition leases (the count comes from the driver). */
  leaseBalancer: Omit<LeaseBalancerSettings, 'partitions'>;
  /**
   * A command with no reply for one heartbeat (the shorter of the two; at least 1 s) has hit a hung link: it
   * fails and the loop that sent it tries again. Leases are given up on local timers anyway; this only keeps
   * the loops from waiting for ever.
   */
  commandTimeoutMs: number;
}

/** Derives the engine's settings from the module options. Pure. */
export function engineSettings(
  options: Pick<
    ResolvedTaskManagerOptions,
    | 'leaderHeartbeatInterval'
    | 'leaderRetryInterval'
    | 'runningHeartbeatInterval'
    | 'reconciliationInterval'
    | 'orphanedTaskGracePeriod'
    | 'pollInterval'
    | 'misfireToleranceMs'
    | 'misfireMaxRuns'
    | 'maxDeliveries'
    | 'concurrentTasks'
    | 'streamBlockMs'
    | 'retryBackoff'
    | 'retryBackoffMax'
    | 'retryBackoffMultiplier'
  >,
): EngineSettings {
  const heartbeatMs = options.leaderHeartbeatInterval * 1000;
  const runHeartbeatMs = options.runningHeartbeatInterval * 1000;
  // A run lease lives 3 heartbeats: two beats may be lost before it expires.
  const leaseTtlMs = runHeartbeatMs * 3;
  // A lease that could not be renewed for this long is given up here: with the next beat it could have
  // expired, and the run been recovered elsewhere.
  const leaseGiveUpMs = leaseTtlMs - runHeartbeatMs;
  // The leader lease too.
  const leaderLeaseTtlMs = heartbeatMs * 3;
  const reconciliationMs = options.reconciliationInterval * 1000;
  // A worker entry outlives two leases, and at least 30 s (a restart is not a new worker).
  const staleWorkerMs = Math.max(leaseTtlMs * 2, 30_000);
  // Half a heartbeat of slack before a worker counts as silent.
  const workerSilentMs = runHeartbeatMs * 1.5;
  const backoff: BackoffDefaults = {
    retryBackoff: options.retryBackoff,
    retryBackoffMax: options.retryBackoffMax,
    retryBackoffMultiplier: options.retryBackoffMultiplier,
  };
  return {
    election: {
      heartbeatMs,
      retryMs: options.leaderRetryInterval * 1000,
      leaseTtlMs: leaderLeaseTtlMs,
      // A follower told when the lease expires tries 25-75 ms after (jitter spreads the followers).
      retryMarginMs: 25,
      retryJitterMs: 50,
      // After a failed renewal, 3 more tries within the heartbeat, so that the lease is renewed in time.
      renewRetryMs: heartbeatMs / 3,
      // The dead-worker check rides on every other renewal: often enough to recover a dead worker's runs
      // within 3 x runningHeartbeatInterval + 2 s with default settings, at half the cost.
      checkWorkersEvery: CHECK_WORKERS_EVERY,
      // The server's clock is read about every 30 s (and at every acquisition): clocks drift by far less
      // meanwhile; the other renewals record the leader's heartbeat at its estimate of the cluster time.
      clockSampleEvery: Math.max(1, Math.round(CLOCK_SAMPLE_MS / heartbeatMs)),
    },
    scheduler: {
      // Due items per Lua call: bounds one script's run time.
      batchSize: 1000,
      misfireToleranceMs: options.misfireToleranceMs,
      misfireMaxRuns: options.misfireMaxRuns,
      // An unknown task (mid rolling deploy) is looked at again after a reconciliation.
      unknownTaskPostponeMs: reconciliationMs,
      // The leader wakes on due slots, change notices, deferred runs and restored entries; this only bounds how
      // long a change made behind its back (by hand in Redis) can go unnoticed.
      maxSleepMs: Math.max(reconciliationMs, 300_000),
      errorRetryMs: Math.max(50, options.pollInterval * 1000),
    },
    reconciler: {
      reconciliationMs,
      // The net under the recovery on events (a silent worker, a new leader): catches a run nobody renews
      // whose owner is alive (a lost reply, a graceful stop) within 2.5 lease TTLs.
      sweepMs: leaseTtlMs * 1.5,
      workerSilentMs,
      leaseTtlMs,
      staleWorkerMs,
      // Pending runs re-published per reclaim call, and calls per pass: bounds one pass.
      reclaimBatch: 100,
      maxReclaimCalls: 10,
      // Local timers and Redis expiry differ by a few ms: reclaim a little after a lease can have expired.
      reclaimMarginMs: 50,
      maxDeliveries: options.maxDeliveries,
    },
    sweeper: {
      intervalMs: reconciliationMs,
      // A task removed from the code is removed up to a pause later than the grace period: a quarter of it, at
      // most 5 min (an idle deployment's schedule fits one step: one step per pause, not per interval).
      passPauseMs: Math.max(reconciliationMs, Math.min(options.orphanedTaskGracePeriod * 250, 300_000)),
      graceMs: options.orphanedTaskGracePeriod * 1000,
      // Schedule entries looked at per step: bounds one step.
      batch: 1000,
    },
    consumer: {
      concurrency: options.concurrentTasks,
      blockMs: options.streamBlockMs,
      leaseTtlMs,
      leaseGiveUpMs,
      backoff,
      // Another instance may know the task (rolling deploy): offered again a second later.
      unknownTaskRequeueMs: 1000,
      abortGraceMs: 1000,
      // Far longer than a completion can be in flight.
      finishedMemoryMs: 60_000,
      handBackTimeoutMs: 1000,
      loopExitWaitMs: 1000,
      // 200 ms doubling up to 2 s: ioredis' own reconnection pace.
      readRetry: { baseMs: 100, maxMs: 2000 },
      // 250 ms doubling up to 3 s, 20 tries: about a minute of outage, while the lease keeps the run ours.
      recordRetry: { baseMs: 250, maxMs: 3000, attempts: 20 },
    },
    leaseKeeper: {
      intervalMs: runHeartbeatMs,
      leaseTtlMs,
      leaseGiveUpMs,
      // Four looks per heartbeat (at least 25 ms apart): a run is given up within a quarter beat of its deadline.
      watchdogMs: Math.max(25, runHeartbeatMs / 4),
      // The leader's renewals that check the workers record its own heartbeat, often enough that its entry is
      // never pruned while it lives (a successor may find it silent sooner: that only times a reclaim, which
      // takes runs whose lease expired in Redis). While it leads and holds no run, its idle heartbeat is
      // skipped (when the driver's renewal records it).
      leaderCoversIdleBeat: heartbeatMs * CHECK_WORKERS_EVERY <= staleWorkerMs / 2,
    },
    loopWatch: {
      // A third of the shorter lease: reported well before a blocked loop can lose one.
      thresholdMs: Math.min(leaseTtlMs, leaderLeaseTtlMs) / 3,
      tickMs: 100,
    },
    lifecycle: {
      connectDeadlineMs: 8000,
      shutdownStepMs: 1000,
      syncIntervalMs: reconciliationMs,
      // 200 ms doubling up to 2 s: ioredis' own reconnection pace.
      startRetry: { baseMs: 100, maxMs: 2000 },
    },
    workerWatch: {
      // The pace of the dead-worker check that rides on the renewals of a single lease.
      intervalMs: heartbeatMs * CHECK_WORKERS_EVERY,
      // A read asked for by an elector (a lease due to expire) when the last one is older than a heartbeat:
      // at a lease's expiry (3 heartbeats after its last renewal), a read newer than that began after its
      // holder, if dead, went silent (1.5 running heartbeats; see docs/configuration.md, Partitions).
      refreshGapMs: heartbeatMs,
      workerSilentMs,
    },
    leaseBalancer: {
      // A lease is handed over only once held one lease TTL: the takers' views of the live count have settled.
      minHoldMs: leaderLeaseTtlMs,
      // An instance below its share of the leases tries first: a yielding elector tries one lease TTL after the
      // lease is free, when every instance has read the live count again (the watch reads it when a lease it
      // waits on expires, and every 2 heartbeats) and one below its share has taken the lease through its
      // open gate.
      yieldMs: leaderLeaseTtlMs,
    },
    commandTimeoutMs: Math.max(1000, Math.min(heartbeatMs, runHeartbeatMs)),
  };
}
