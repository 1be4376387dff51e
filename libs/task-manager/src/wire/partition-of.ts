import { crc16 } from './crc16.js';

/** The most partitions a deployment can have (each has its own leader lease, streams and hash tag). */
export const MAX_PARTITIONS = 256;

/**
 * The partition (0 .. partitions - 1) a task belongs to: CRC16/XMODEM of its (encoded) id's UTF-8 bytes,
 * modulo the partition count; 0 when there is one. Part of the wire: every version and both drivers must map
 * a task to the same partition, so the mapping never changes (golden vectors: test/wire/partition-of.spec.ts).
 * Encoded task ids never contain `{` or `}`, so this is also the hash of the whole id on a Redis Cluster.
 */
export function partitionOf(taskId: string, partitions: number): number {
  assertPartitionCount(partitions);
  return partitions === 1 ? 0 : crc16(taskId) % partitions;
}

/**
 * What is wrong with `partitions` as a partition count, if anything: the rule (an integer in
 * 1..MAX_PARTITIONS) in one place, for the module option's validation and for `assertPartitionCount`.
 */
export function partitionCountProblem(partitions: unknown): string | undefined {
  return Number.isInteger(partitions) && (partitions as number) >= 1 && (partitions as number) <= MAX_PARTITIONS
    ? undefined
    : `partitions must be an integer from 1 to ${MAX_PARTITIONS} (got ${JSON.stringify(partitions)})`;
}

/** Throws unless `partitions` is an integer in 1..MAX_PARTITIONS. */
export function assertPartitionCount(partitions: number): void {
  const problem = partitionCountProblem(partitions);
  if (problem !== undefined) throw new RangeError(problem);
}
