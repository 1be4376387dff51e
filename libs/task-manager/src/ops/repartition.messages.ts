import type { MarkedRepartition } from '../wire/layout-marker.js';
import type { RepartitionSummary } from './repartition.options.js';

const seconds = (ms: number) => `${Math.ceil(ms / 1000)} s`;
const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/** The messages of a repartition (`nestjs-task-manager/ops`) and of its CLI, as small factories. */
export const repartitionMessages = {
  invalidOptions: (problems: string[]) => `Invalid repartition options:\n  - ${problems.join('\n  - ')}`,
  missingRedis: () =>
    'redis is required: the Redis of the deployment to repartition (a URL, ioredis options or a cluster)',
  missingKeyPrefix: () => 'keyPrefix is required: the keyPrefix option of the deployment to repartition',
  toProblem: (problem: string) => `to: ${problem}`,
  fromProblem: (problem: string) => `from: ${problem}`,
  workerSilenceProblem: (value: unknown) =>
    `workerSilenceMs must be a number of milliseconds >= 0 (got ${JSON.stringify(value)})`,

  lockHeld: (keyPrefix: string, holder: string, ttlMs: number) =>
    `Another repartition of key prefix "${keyPrefix}" holds its lock (${holder}, ${seconds(ttlMs)} more): wait ` +
    `until it has finished. A run that crashed keeps the lock until it expires; run the repartition again then ` +
    `to finish what it began.`,
  lockLost: (keyPrefix: string) =>
    `The repartition of key prefix "${keyPrefix}" lost its lock (not renewed in time: the process or Redis ` +
    `stalled), so it stopped: run it again to finish.`,
  liveWorkers: (keyPrefix: string, workers: Array<{ id: string; seenMsAgo: number }>, silenceMs: number) =>
    `Key prefix "${keyPrefix}" has ${plural(workers.length, 'live instance')} ` +
    `(${workers.map((w) => `${w.id}, seen ${seconds(w.seenMsAgo)} ago`).join('; ')}): stop every instance of ` +
    `the deployment first, then run the repartition again. An instance that stopped leaves the worker registry ` +
    `at once; one that crashed counts as alive until it has been silent for ${seconds(silenceMs)} ` +
    `(workerSilenceMs).`,
  leasesHeld: (keyPrefix: string, leases: Array<{ partition: string; holder: string; ttlMs: number }>) =>
    `Key prefix "${keyPrefix}" has ${plural(leases.length, 'partition lease')} held ` +
    `(${leases.map((l) => `${l.partition} by ${l.holder}, ${seconds(l.ttlMs)} more`).join('; ')}): an instance ` +
    `is leading. Stop every instance first (a crashed leader's lease expires by itself), then run the ` +
    `repartition again.`,
  fromMismatch: (keyPrefix: string, from: number, found: number) =>
    `Key prefix "${keyPrefix}" has ${plural(found, 'partition')} (its layout marker says so${found === 1 ? ': none' : ''}), ` +
    `not ${from} as given (from): check the key prefix and the Redis, or leave \`from\` out.`,
  otherRepartition: (keyPrefix: string, pending: MarkedRepartition, to: number, from?: number) =>
    `A repartition of key prefix "${keyPrefix}" from ${pending.from} to ${pending.to} partitions was begun and ` +
    `not finished, and this one asks for ${from === undefined ? '' : `${from} → `}${to}: finish that one first ` +
    `(the same command with --to ${pending.to}, which resumes it), then repartition again if needed.`,
  layoutConflict: (keyPrefix: string, groups: readonly string[], stream: string) =>
    `Key prefix "${keyPrefix}" is marked with layouts that contradict each other (consumer groups ` +
    `${groups.map((g) => `"${g}"`).join(', ')} on ${stream}): two deployments of different partition counts ` +
    `used it. Find which one is current and remove the others' groups before repartitioning.`,
  newPartitionsNotEmpty: (keyPrefix: string, to: number, keys: string[]) =>
    `The keys of ${to} partitions of key prefix "${keyPrefix}" already hold data (${keys.join(', ')}), left by ` +
    `an earlier deployment of that layout: moving the tasks there would mix them with it. Delete those ` +
    `partitions' keys if that data is not needed, then run the repartition again.`,
  layoutChanged: (keyPrefix: string, groups: readonly string[]) =>
    `The layout marker of key prefix "${keyPrefix}" changed while the repartition was checking it (now ` +
    `${groups.length === 0 ? 'no group' : groups.map((g) => `"${g}"`).join(', ')}): an instance is starting? ` +
    `Stop every instance, then run the repartition again. Nothing was changed.`,
  startedMeanwhile: (refusal: string) =>
    `${refusal} (It started while the repartition was beginning: the key prefix's layout marker was put back as ` +
    `it was, and nothing else was changed.)`,
  formerPartitionNotEmpty: (keys: string[]) =>
    `The keys ${keys.join(', ')} of the former layout still hold data after every task was moved (written ` +
    `meanwhile?): they were not deleted. Stop every instance and run the repartition again.`,

  detected: (keyPrefix: string, from: number, to: number, resumed: boolean) =>
    resumed
      ? `Key prefix "${keyPrefix}": resuming the repartition from ${from} to ${to} partitions begun earlier.`
      : `Key prefix "${keyPrefix}": ${plural(from, 'partition')} now, moving to ${to}.`,
  unchanged: (keyPrefix: string, to: number) =>
    `Key prefix "${keyPrefix}" already has ${plural(to, 'partition')}: nothing to do.`,
  marked: (marker: string) => `Layout marked "${marker}": no instance of any partition count starts until the end.`,
  stage: (what: string) => `${what}…`,
  finished: (s: RepartitionSummary) =>
    `Key prefix "${s.keyPrefix}" repartitioned from ${s.from} to ${s.to} partitions` +
    `${s.resumed ? ' (resumed)' : ''} in ${(s.durationMs / 1000).toFixed(1)} s: ` +
    `${plural(s.tasksMoved, 'task')} moved, ${s.tasksKept} kept in place, ` +
    `${plural(s.oneOffRunsMoved, 'one-off run')} moved, ${plural(s.runsConverted, 'queued run')} turned into ` +
    `one-off runs, ${plural(s.keysDeleted, 'key')} of the former layout deleted` +
    `${s.dropped > 0 ? `, ${s.dropped} unreadable entries dropped` : ''}. ` +
    `Start every instance with partitions: ${s.to}.`,
  interrupted: (reason: string) =>
    `The repartition stopped half-way: ${reason} Its work so far is kept and the key prefix stays marked as ` +
    `being repartitioned (no instance starts): run it again (the same command) to finish it.`,
};
