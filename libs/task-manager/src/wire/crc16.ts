/**
 * CRC16/XMODEM (polynomial 0x1021, initial value 0, no reflection) of the UTF-8 bytes of `text`: the checksum
 * Redis Cluster hashes keys with (`redis/redis-client.ts` `keySlot`) and the one a task id maps to its
 * partition with (`wire/partition-of.ts`). Here, outside `redis/`, so that the in-process driver can use it.
 */
export function crc16(text: string): number {
  let crc = 0;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
