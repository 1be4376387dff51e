import type { LoggerService } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { RepartitionInterruptedError } from '../errors/repartition-interrupted.error.js';
import { RepartitionRefusedError } from '../errors/repartition-refused.error.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { RedisScripts } from '../redis/redis-scripts.js';
import { assertSupportedVersion } from '../redis/redis-server-info.js';
import { TaskManagerKeys } from '../redis/task-manager-keys.js';
import { layoutMarker, repartitionMarker } from '../wire/layout-marker.js';
import { RepartitionLock } from './repartition-lock.js';
import { repartitionMessages } from './repartition.messages.js';
import type { RepartitionInternals, RepartitionOptions, RepartitionSummary } from './repartition.options.js';
import { assertNewPartitionsEmpty, assertStopped, planRepartition, readMarker } from './repartition-preflight.js';
import { RepartitionRun } from './repartition-run.js';
import { resolveRepartitionOptions } from './resolve-repartition-options.js';
import { deleteFormerPartitions } from './steps/delete-former-partitions.js';
import { moveOneOffRuns } from './steps/move-one-off-runs.js';
import { moveRunStreams } from './steps/move-run-streams.js';
import { moveTasks } from './steps/move-tasks.js';
import { raiseEpochs } from './steps/raise-epochs.js';

/**
 * Moves a stopped deployment from its partition count to `to` (1..256 either way), on a standalone Redis,
 * Sentinel or Redis Cluster: every task's schedule entry (its next slot kept), signature, state, history and
 * dynamic definition, the one-off queue, and the runs still in the run streams (each turned into a one-off run
 * of its slot in its task's new partition). Every new partition's fencing epoch starts above every former one;
 * leases, task-set declarations and consumer groups are left to the instances, which recreate them at start.
 *
 * Offline: it refuses while an instance of the deployment is alive (a recent heartbeat, a held lease) or another
 * repartition holds its lock, and marks the key prefix `repartition:<from>:<to>` meanwhile, so that no instance
 * of any partition count starts. Resumable: each step is idempotent and copies before it deletes, so a run that
 * stopped half-way (crash, lost connection) loses nothing, and running it again finishes it. Afterwards start
 * every instance with `partitions: to`. See docs/deployment.md ("Changing the partition count").
 * @throws TaskManagerConfigurationError for invalid options or an unsupported Redis
 * @throws RepartitionRefusedError when it will not run (nothing changed)
 * @throws RepartitionInterruptedError when it stopped after it began (its cause says why): run it again
 * @throws RedisUnreachableError when Redis does not answer
 */
export function repartition(options: RepartitionOptions): Promise<RepartitionSummary> {
  return runRepartition(options);
}

/** {@link repartition} with test hooks (not part of the public API). */
export async function runRepartition(
  options: RepartitionOptions,
  internals: RepartitionInternals = {},
): Promise<RepartitionSummary> {
  const started = performance.now();
  const { target, keyPrefix, to, from, workerSilenceMs } = resolveRepartitionOptions(options);
  const progress = options.onProgress ?? (() => undefined);
  const connections = new RedisConnections(target, progressLogger(progress));
  try {
    assertSupportedVersion((await connections.connect()).version);
    const client = connections.get('command');
    const scripts = new RedisScripts(client);
    const deployment = new TaskManagerKeys(keyPrefix);
    const lock = await RepartitionLock.take(
      client,
      scripts,
      deployment.repartitionLock,
      keyPrefix,
      internals.lockTtlMs ?? 30_000,
    );
    try {
      const marker = await readMarker(client, deployment);
      const plan = planRepartition(deployment, marker, to, from);
      const summary = { keyPrefix, resumed: false, unchanged: false, durationMs: 0 };
      if (plan.kind === 'unchanged') {
        progress(repartitionMessages.unchanged(keyPrefix, to));
        return { ...summary, ...zeroCounts, from: to, to, unchanged: true, durationMs: performance.now() - started };
      }
      const before = new TaskManagerKeys(keyPrefix, plan.from);
      const after = new TaskManagerKeys(keyPrefix, plan.to);
      progress(repartitionMessages.detected(keyPrefix, plan.from, plan.to, plan.resumed));
      await assertStopped(client, before, after, workerSilenceMs);
      const repartitioning = repartitionMarker(plan);
      const run = new RepartitionRun(client, scripts, before, after, repartitioning, lock, progress, internals);
      if (!plan.resumed) {
        await assertNewPartitionsEmpty(client, before, after);
        await swapMarker(run, plan.current, repartitioning, marker.groups);
        progress(repartitionMessages.marked(repartitioning));
      }
      /** A refusal after the marker was put back as it was: nothing to finish. */
      let undone: RepartitionRefusedError | undefined;
      try {
        if (!plan.resumed) {
          await run.step(`marker ${repartitioning}`);
          // An instance that passed its marker check just before has registered by now: refuse, marker put back.
          await sleep(internals.settleMs ?? 1000);
          await assertStopped(client, before, after, workerSilenceMs).catch(async (error: unknown) => {
            if (!(error instanceof RepartitionRefusedError)) throw error;
            const now = [...marker.groups.filter((group) => group !== plan.current), repartitioning];
            await swapMarker(run, repartitioning, plan.current, now);
            throw (undone = new RepartitionRefusedError(repartitionMessages.startedMeanwhile(error.message)));
          });
        }
        await move(run);
      } catch (error) {
        if (error === undone) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        throw new RepartitionInterruptedError(repartitionMessages.interrupted(reason), { cause: error });
      }
      const done = {
        ...summary,
        ...run.counts,
        from: plan.from,
        to: plan.to,
        resumed: plan.resumed,
        durationMs: performance.now() - started,
      };
      progress(repartitionMessages.finished(done));
      return done;
    } finally {
      await lock.release();
    }
  } finally {
    await connections.close();
  }
}

/** The moves, in an order that never loses data when interrupted, then the marker of the new layout. */
async function move(run: RepartitionRun): Promise<void> {
  run.progress(repartitionMessages.stage('Raising the fencing epochs'));
  await raiseEpochs(run);
  run.progress(repartitionMessages.stage('Turning the queued runs into one-off runs'));
  await moveRunStreams(run);
  run.progress(repartitionMessages.stage('Moving the one-off runs'));
  await moveOneOffRuns(run);
  run.progress(repartitionMessages.stage('Moving the tasks'));
  await moveTasks(run);
  run.progress(repartitionMessages.stage('Deleting the former partitions'));
  await deleteFormerPartitions(run);
  const { after, marker } = run;
  const final = after.partitions > 1 ? layoutMarker(after.partitions) : '';
  await swapMarker(run, marker, final, [marker]);
  await run.step(`marker ${final || '(none)'}`);
}

const zeroCounts = { tasksMoved: 0, tasksKept: 0, oneOffRunsMoved: 0, runsConverted: 0, dropped: 0, keysDeleted: 0 };

/**
 * Replaces the group `remove` by `add` on the layout marker stream if its groups are `expected` (or the swap is
 * done already); one script (`swap-layout-marker-1`).
 * @throws RepartitionRefusedError when its groups are others (nothing written)
 */
async function swapMarker(
  run: RepartitionRun,
  remove: string,
  add: string,
  expected: readonly string[],
): Promise<void> {
  const found = await run.scripts.run<string[]>(
    'swapLayoutMarker',
    [run.before.layoutMarkerStream],
    [remove, add, ...expected],
  );
  if (found.length > 0) throw new RepartitionRefusedError(repartitionMessages.layoutChanged(run.before.prefix, found));
}

/** The connections' state changes, as progress lines. */
function progressLogger(progress: (line: string) => void): LoggerService {
  return { log: progress, warn: progress, error: progress };
}
