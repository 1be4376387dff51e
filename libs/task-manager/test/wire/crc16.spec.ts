import { describe, expect, it } from 'vitest';
import { keySlot } from '../../src/redis/redis-client.js';
import { crc16 } from '../../src/wire/crc16.js';

describe('crc16 (CRC16/XMODEM)', () => {
  it('gives the check value of the CRC catalogue and 0 for no bytes', () => {
    expect(crc16('123456789')).toBe(0x31c3);
    expect(crc16('')).toBe(0);
  });

  it('hashes the UTF-8 bytes of the text', () => {
    // Reference values from Python's binascii.crc_hqx(text.encode('utf-8'), 0).
    expect(crc16('é')).toBe(26_564);
    expect(crc16('tâche/日本')).toBe(46_434);
  });
});

describe('keySlot', () => {
  it("answers what Redis's CLUSTER KEYSLOT does", () => {
    // The examples of the CLUSTER KEYSLOT documentation, and "foo" of the Cluster specification.
    expect(keySlot('somekey')).toBe(11_058);
    expect(keySlot('foo{hash_tag}')).toBe(2515);
    expect(keySlot('foo')).toBe(12_182);
  });

  it('hashes only the first non-empty {…} hash tag', () => {
    expect(keySlot('{hash_tag}:anything')).toBe(keySlot('hash_tag'));
    expect(keySlot('a{hash_tag}{other}')).toBe(keySlot('hash_tag'));
    // An empty first tag, or no closing brace: the whole key.
    expect(keySlot('{}hash_tag')).toBe(crc16('{}hash_tag') % 16_384);
    expect(keySlot('{hash_tag')).toBe(crc16('{hash_tag') % 16_384);
  });
});
