import { createHash } from 'node:crypto';

/**
 * The digest of a declared static task set (the key of its SET and the value of a worker's pointer): SHA-1 of
 * its task ids, sorted, one per line. Every instance and version must compute the same digest for the same
 * set, in every partition.
 */
export function taskSetDigest(sortedTaskIds: readonly string[]): string {
  return createHash('sha1').update(sortedTaskIds.join('\n')).digest('hex');
}
