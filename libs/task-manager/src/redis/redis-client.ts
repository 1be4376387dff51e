import type { Cluster, Redis } from 'ioredis';
import { crc16 } from '../wire/crc16.js';

/**
 * A connection of the engine: one Redis server (standalone, or the master found through Sentinel) or a
 * Redis Cluster. Both expose the same commands, pipelines and `defineCommand` scripts; on a Cluster every
 * command of the engine goes to one node, because all keys of a deployment share the hash tag `{prefix}`.
 */
export type RedisClient = Redis | Cluster;

/** Number of hash slots of a Redis Cluster. */
export const HASH_SLOTS = 16_384;

/**
 * The Redis Cluster hash slot of `key` (what `CLUSTER KEYSLOT` answers): CRC16/XMODEM of the key, or of its
 * hash tag (the part between the first `{` and the next `}`, when non-empty), modulo 16384.
 */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(key) % HASH_SLOTS;
}
