import { assertPartitionCount } from '../wire/partition-of.js';
import { HASH_SLOTS, keySlot } from './redis-client.js';

/** How many candidate tags a partition may try before giving up (about 2P are needed on average). */
const MAX_TRIES = 100_000;

/**
 * The hash tag of each partition of a deployment (index = partition). One partition: `{prefix}`, today's tag
 * of every key. More: for partition N, the first of `{{prefix:N}`, `{{prefix:N.1}`, `{{prefix:N.2}`, … whose
 * hash slot lies in the middle half of N's share `[N·16384/P, (N+1)·16384/P)` of the slot space.
 * - The tags so spread evenly over the slots, so a Cluster whose masters hold even slot ranges (as
 *   `redis-cli --cluster create` makes them) serves P/M partitions on each of its M masters when M divides
 *   P; plain `{prefix:N}` tags would land at random.
 * - The second `{` keeps them apart from every other deployment's: Redis hashes what lies between the first
 *   `{` and the next `}`, here `{prefix:N.k`. A key prefix never contains a brace, so no deployment's own
 *   tag starts so (`{tm:0}` would be both partition 0 of `tm` and the tag of a deployment named `tm:0`), and
 *   the text after the last `:` (`N.k`, no colon) tells which prefix a partition tag belongs to.
 * Deterministic: every instance and version builds the same tags.
 */
export function partitionTags(prefix: string, partitions: number): string[] {
  assertPartitionCount(partitions);
  if (partitions === 1) return [`{${prefix}}`];
  return Array.from({ length: partitions }, (_, n) => partitionTag(prefix, n, partitions));
}

function partitionTag(prefix: string, n: number, partitions: number): string {
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const tag = attempt === 0 ? `{{${prefix}:${n}}` : `{{${prefix}:${n}.${attempt}}`;
    if (inMiddleHalf(keySlot(tag), n, partitions)) return tag;
  }
  throw new Error(
    `No hash tag for partition ${n} of ${partitions} with key prefix ${JSON.stringify(prefix)} in ${MAX_TRIES} tries ` +
      '(a prefix containing "{" or "}" pins every candidate to one slot)',
  );
}

/** Whether `slot` lies in `[lo + w/4, lo + 3w/4)` where `lo = n·w` and `w = 16384/P` (in integers). */
function inMiddleHalf(slot: number, n: number, partitions: number): boolean {
  const scaled = 4 * partitions * slot;
  return scaled >= (4 * n + 1) * HASH_SLOTS && scaled < (4 * n + 3) * HASH_SLOTS;
}
