import { RepartitionRefusedError } from '../errors/repartition-refused.error.js';
import type { RedisClient } from '../redis/redis-client.js';
import type { PartitionKeys, TaskManagerKeys } from '../redis/task-manager-keys.js';
import { parseLeaderToken } from '../wire/leader-token.js';
import { type MarkedLayout, readMarkedLayout } from '../wire/layout-marker.js';
import { serverTimeMs } from '../wire/server-time.js';
import { repartitionMessages } from './repartition.messages.js';
import { partitionsOf } from './repartition-run.js';

/** The consumer groups of the layout marker stream, and the layout they mark. */
export interface MarkerState {
  readonly groups: string[];
  readonly layout: MarkedLayout;
}

/** What a repartition will do, decided from the marker and the options. */
export type RepartitionPlan =
  | { readonly kind: 'unchanged'; readonly partitions: number }
  | {
      readonly kind: 'move';
      readonly from: number;
      readonly to: number;
      /** An earlier run began it (the marker says so): finish it. */
      readonly resumed: boolean;
      /** The layout marker to replace by the repartition's ('' none: one partition). */
      readonly current: string;
    };

/** Reads the groups of the layout marker stream (none when it does not exist). */
export async function readMarker(client: RedisClient, keys: TaskManagerKeys): Promise<MarkerState> {
  let groups: string[] = [];
  try {
    const replies = (await client.xinfo('GROUPS', keys.layoutMarkerStream)) as unknown[][];
    groups = replies.map((fields) => String(fields[fields.indexOf('name') + 1]));
  } catch (error) {
    if (!/no such key/i.test(String((error as Error).message))) throw error;
  }
  return { groups, layout: readMarkedLayout(groups) };
}

/**
 * Decides what to do from the key prefix's marker: move from its count (1 when unmarked) to `to`, resume the
 * repartition it says is pending, or nothing.
 * @throws RepartitionRefusedError for contradicting markers, a `from` other than the count found, or another
 *   repartition pending
 */
export function planRepartition(
  keys: TaskManagerKeys,
  { layout }: MarkerState,
  to: number,
  from?: number,
): RepartitionPlan {
  const prefix = keys.prefix;
  if (layout.kind === 'conflict') {
    throw new RepartitionRefusedError(
      repartitionMessages.layoutConflict(prefix, layout.groups, keys.layoutMarkerStream),
    );
  }
  if (layout.kind === 'repartition') {
    const pending = layout.repartition;
    if (pending.to !== to || (from !== undefined && from !== pending.from)) {
      throw new RepartitionRefusedError(repartitionMessages.otherRepartition(prefix, pending, to, from));
    }
    return { kind: 'move', from: pending.from, to, resumed: true, current: layout.marker };
  }
  if (from !== undefined && from !== layout.partitions) {
    throw new RepartitionRefusedError(repartitionMessages.fromMismatch(prefix, from, layout.partitions));
  }
  if (layout.partitions === to) return { kind: 'unchanged', partitions: to };
  return { kind: 'move', from: layout.partitions, to, resumed: false, current: layout.marker ?? '' };
}

/**
 * Refuses while the deployment runs: a worker seen within `silenceMs` (by the server's clock) in its registry,
 * or a lease held on a partition of either layout.
 * @throws RepartitionRefusedError naming them
 */
export async function assertStopped(
  client: RedisClient,
  before: TaskManagerKeys,
  after: TaskManagerKeys,
  silenceMs: number,
): Promise<void> {
  const now = serverTimeMs(await client.time());
  const seen = await client.zrangebyscore(before.workers, now - silenceMs, '+inf', 'WITHSCORES');
  if (seen.length > 0) {
    const workers: Array<{ id: string; seenMsAgo: number }> = [];
    for (let i = 0; i < seen.length; i += 2)
      workers.push({ id: seen[i], seenMsAgo: Math.max(0, now - Number(seen[i + 1])) });
    throw new RepartitionRefusedError(repartitionMessages.liveWorkers(before.prefix, workers, silenceMs));
  }
  // (A partition both layouts have, by its tag, once.)
  const partitions = new Map<string, { keys: PartitionKeys; name: string }>();
  for (const layout of [after, before])
    partitionsOf(layout).forEach((keys, i) =>
      partitions.set(keys.tag, { keys, name: `partition ${i} of ${layout.partitions}` }),
    );
  const leases = await Promise.all(
    [...partitions.values()].map(async ({ keys, name }) => {
      const [token, ttl] = await Promise.all([client.get(keys.leader), client.pttl(keys.leader)]);
      return token === null ? undefined : { partition: name, holder: parseLeaderToken(token).workerId, ttlMs: ttl };
    }),
  );
  const held = leases.filter((lease) => lease !== undefined);
  if (held.length > 0) throw new RepartitionRefusedError(repartitionMessages.leasesHeld(before.prefix, held));
}

/**
 * Refuses to begin when a partition that only the new layout has already holds tasks or runs (left by an earlier
 * deployment of that layout): the moved tasks would mix with them.
 * @throws RepartitionRefusedError naming the keys
 */
export async function assertNewPartitionsEmpty(
  client: RedisClient,
  before: TaskManagerKeys,
  after: TaskManagerKeys,
): Promise<void> {
  const formerTags = new Set(partitionsOf(before).map((keys) => keys.tag));
  const fresh = partitionsOf(after).filter((keys) => !formerTags.has(keys.tag));
  const holding = fresh.flatMap((keys) => [keys.schedule, keys.signatures, keys.oneOff, keys.dynamic]);
  const found = await Promise.all(holding.map((key) => client.exists(key)));
  const full = holding.filter((_, i) => found[i] > 0);
  if (full.length > 0) {
    throw new RepartitionRefusedError(repartitionMessages.newPartitionsNotEmpty(before.prefix, after.partitions, full));
  }
}
