import type { Cluster, Redis } from 'ioredis';

/**
 * A connection of the engine: one Redis server (standalone, or the master found through Sentinel) or a
 * Redis Cluster. Both expose the same commands, pipelines and `defineCommand` scripts; on a Cluster every
 * command of the engine goes to one node, because all keys of a deployment share the hash tag `{prefix}`.
 */
export type RedisClient = Redis | Cluster;

/** Number of hash slots of a Redis Cluster. */
const SLOTS = 16_384;

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
  let crc = 0;
  for (const byte of Buffer.from(key, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % SLOTS;
}
