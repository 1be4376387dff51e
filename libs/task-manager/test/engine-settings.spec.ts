import { describe, expect, it } from 'vitest';
import { engineSettings } from '../src/engine/engine-settings.js';
import { retryPause } from '../src/engine/retry-pace.js';
import { resolveOptions } from '../src/options/resolve-options.js';
import type { TaskManagerModuleOptions } from '../src/options/task-manager-options.interface.js';

const settingsOf = (options: TaskManagerModuleOptions = {}) =>
  engineSettings(resolveOptions({ keyPrefix: 'app', ...options }, '/nonexistent'));

describe('engineSettings', () => {
  it('derives every duration from the options once (defaults)', () => {
    expect(settingsOf()).toMatchObject({
      election: {
        heartbeatMs: 3000,
        retryMs: 5000,
        leaseTtlMs: 9000,
        renewRetryMs: 1000,
        checkWorkersEvery: 2,
        clockSampleEvery: 10,
      },
      workerWatch: { intervalMs: 6000, refreshGapMs: 3000, workerSilentMs: 4500 },
      leaseBalancer: { minHoldMs: 9000, yieldMs: 9000 },
      commandTimeoutMs: 3000,
      reconciler: {
        reconciliationMs: 30_000,
        sweepMs: 13_500,
        workerSilentMs: 4500,
        leaseTtlMs: 9000,
        staleWorkerMs: 30_000,
        reclaimBatch: 100,
        maxDeliveries: 3,
      },
      consumer: { concurrency: 2, blockMs: 5000, leaseTtlMs: 9000, leaseGiveUpMs: 6000 },
      leaseKeeper: {
        intervalMs: 3000,
        leaseTtlMs: 9000,
        leaseGiveUpMs: 6000,
        watchdogMs: 750,
        leaderCoversIdleBeat: true,
      },
      loopWatch: { thresholdMs: 3000 },
      scheduler: { batchSize: 1000, maxSleepMs: 300_000, errorRetryMs: 100, unknownTaskPostponeMs: 30_000 },
      sweeper: { intervalMs: 30_000, passPauseMs: 300_000, batch: 1000 },
      lifecycle: { syncIntervalMs: 30_000 },
    });
  });

  // Issue 14 (idle cost).
  it("the leader's renewals stand for its idle heartbeat only when they keep its entry from being pruned", () => {
    expect(settingsOf({ leaderHeartbeatInterval: 0.5 }).leaseKeeper.leaderCoversIdleBeat).toBe(true);
    expect(settingsOf({ leaderHeartbeatInterval: 10 }).leaseKeeper.leaderCoversIdleBeat).toBe(false);
    expect(settingsOf({ leaderHeartbeatInterval: 0.5 }).election.clockSampleEvery).toBe(60);
    expect(settingsOf({ orphanedTaskGracePeriod: 60 }).sweeper.passPauseMs).toBe(30_000);
    expect(settingsOf({ orphanedTaskGracePeriod: 600 }).sweeper.passPauseMs).toBe(150_000);
  });

  it('a run lease is 3 run heartbeats; the leader lease 3 leader heartbeats', () => {
    const settings = settingsOf({ runningHeartbeatInterval: 2, leaderHeartbeatInterval: 4 });
    expect(settings.consumer.leaseTtlMs).toBe(6000);
    expect(settings.leaseKeeper.leaseTtlMs).toBe(6000);
    expect(settings.reconciler.leaseTtlMs).toBe(6000);
    expect(settings.election.leaseTtlMs).toBe(12_000);
    expect(settings.election.renewRetryMs).toBe(4000 / 3);
  });

  it('a stale worker is max(2 x lease, 30 s)', () => {
    expect(settingsOf({ runningHeartbeatInterval: 1 }).reconciler.staleWorkerMs).toBe(30_000);
    expect(settingsOf({ runningHeartbeatInterval: 10 }).reconciler.staleWorkerMs).toBe(60_000);
  });

  it('a worker is silent after 1.5 heartbeats', () => {
    expect(settingsOf({ runningHeartbeatInterval: 2 }).reconciler.workerSilentMs).toBe(3000);
  });

  it('the command timeout is the shorter heartbeat, never under a second', () => {
    expect(settingsOf({ leaderHeartbeatInterval: 0.5, runningHeartbeatInterval: 1 }).commandTimeoutMs).toBe(1000);
    expect(settingsOf({ leaderHeartbeatInterval: 2, runningHeartbeatInterval: 5 }).commandTimeoutMs).toBe(2000);
  });

  it('a blocked loop is reported after a third of the shorter lease', () => {
    expect(settingsOf({ leaderHeartbeatInterval: 0.5, runningHeartbeatInterval: 1 }).loopWatch.thresholdMs).toBe(500);
    expect(settingsOf({ leaderHeartbeatInterval: 5, runningHeartbeatInterval: 1 }).loopWatch.thresholdMs).toBe(1000);
  });

  it('the leader sleeps at most max(reconciliation, 300 s); retries after an error at the poll interval (>= 50 ms)', () => {
    expect(settingsOf({ reconciliationInterval: 600 }).scheduler.maxSleepMs).toBe(600_000);
    expect(settingsOf({ reconciliationInterval: 10 }).scheduler.maxSleepMs).toBe(300_000);
    expect(settingsOf({ pollInterval: 0.01 }).scheduler.errorRetryMs).toBe(50);
    expect(settingsOf({ pollInterval: 2 }).scheduler.errorRetryMs).toBe(2000);
  });

  it('the lease watchdog looks four times per heartbeat, at least 25 ms apart', () => {
    expect(settingsOf({ runningHeartbeatInterval: 0.06 }).leaseKeeper.watchdogMs).toBe(25);
    expect(settingsOf({ runningHeartbeatInterval: 2 }).leaseKeeper.watchdogMs).toBe(500);
  });

  it('passes the options through: misfire, deliveries, concurrency, block, grace, backoff', () => {
    const settings = settingsOf({
      misfireToleranceMs: 1234,
      misfireMaxRuns: 7,
      maxDeliveries: 5,
      concurrentTasks: 9,
      streamBlockMs: 777,
      orphanedTaskGracePeriod: 42,
      retryBackoff: 3,
      retryBackoffMax: 30,
      retryBackoffMultiplier: 4,
    });
    expect(settings.scheduler).toMatchObject({ misfireToleranceMs: 1234, misfireMaxRuns: 7 });
    expect(settings.reconciler.maxDeliveries).toBe(5);
    expect(settings.consumer).toMatchObject({ concurrency: 9, blockMs: 777 });
    expect(settings.sweeper.graceMs).toBe(42_000);
    expect(settings.consumer.backoff).toEqual({ retryBackoff: 3, retryBackoffMax: 30, retryBackoffMultiplier: 4 });
  });

  it('retry pauses double from the base up to the cap', () => {
    const { readRetry, recordRetry } = settingsOf().consumer;
    expect([1, 2, 3, 4, 5, 40].map((n) => retryPause(readRetry, n))).toEqual([200, 400, 800, 1600, 2000, 2000]);
    expect([0, 1, 4].map((n) => retryPause(recordRetry, n))).toEqual([250, 500, 3000]);
  });
});
