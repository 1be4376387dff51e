import { describe, expect, it } from 'vitest';
import { partitionTags } from '../src/redis/partition-tags.js';
import { keySlot } from '../src/redis/redis-client.js';

/** Whether `slot` is in the middle half of partition `n`'s share of the 16384 slots (real numbers). */
function inMiddleHalf(slot: number, n: number, partitions: number): boolean {
  const width = 16_384 / partitions;
  return slot >= n * width + width / 4 && slot < n * width + (3 * width) / 4;
}

/** Prefixes the keyPrefix option accepts (no "{", "}" or whitespace): with ":", glob characters, non-ASCII. */
const prefixes = ['app', 'tm', 'my-app:prod', 'a:b:c', 'app*?[]\\', 'tâche-日本', '0', `long-${'x'.repeat(190)}`];

describe('partitionTags', () => {
  it('is {prefix} alone for one partition', () => {
    expect(partitionTags('app', 1)).toEqual(['{app}']);
    expect(partitionTags('my-app:prod', 1)).toEqual(['{my-app:prod}']);
  });

  it('gives these tags for 3 and 6 partitions (slots checked with Python binascii.crc_hqx)', () => {
    expect(partitionTags('tm', 3)).toEqual(['{{tm:0.2}', '{{tm:1.3}', '{{tm:2.3}']);
    const tags = partitionTags('app', 6);
    expect(tags).toEqual(['{{app:0.2}', '{{app:1.4}', '{{app:2.1}', '{{app:3.12}', '{{app:4.23}', '{{app:5.3}']);
    expect(tags.map((tag) => keySlot(tag))).toEqual([2013, 4139, 6622, 9457, 12_462, 15_372]);
    // Redis hashes from the first "{" to the next "}": the second "{" is part of what it hashes.
    expect(keySlot('{{app:3.12}:schedule')).toBe(keySlot('x{{app:3.12}'));
  });

  it('puts every tag in the middle half of its share of the slots, for 1 to 64 partitions', () => {
    const wrong: string[] = [];
    for (const prefix of prefixes) {
      for (let partitions = 1; partitions <= 64; partitions++) {
        const tags = partitionTags(prefix, partitions);
        expect(tags).toHaveLength(partitions);
        tags.forEach((tag, n) => {
          const slot = keySlot(`${tag}:schedule`);
          const inRange = partitions === 1 || inMiddleHalf(slot, n, partitions);
          if (!inRange || slot !== keySlot(tag) || !tag.startsWith(partitions === 1 ? `{${prefix}}` : `{{${prefix}:`))
            wrong.push(`${n}/${partitions} ${tag}`);
        });
      }
    }
    expect(wrong).toEqual([]);
  });

  it('names each candidate {{prefix:N} or {{prefix:N.k}, trying N first', () => {
    for (const partitions of [2, 6, 256]) {
      partitionTags('my-app:prod', partitions).forEach((tag, n) => {
        expect(tag).toMatch(new RegExp(`^\\{\\{my-app:prod:${n}(\\.[1-9]\\d*)?\\}$`));
      });
    }
    // {{app:1} is in range for 2 partitions, so no suffix is tried.
    expect(partitionTags('app', 2)[1]).toMatch(/^\{\{app:1(\.\d+)?\}$/);
  });

  it("never equals another deployment's tag, whatever the two key prefixes", () => {
    // keyPrefix may contain ':' and '.', so `{tm:0}` would be both partition 0 of `tm` and the one tag of a
    // deployment named `tm:0`: they would share a schedule. Pairs where one prefix extends the other:
    const pairs: Array<[string, string]> = [];
    for (const base of ['tm', 'app', 'a:b']) {
      for (const partitions of [2, 3, 6]) {
        for (const tag of partitionTags(base, partitions)) {
          const inner = tag.replace(/^\{+/, '').replace(/\}$/, '');
          pairs.push([base, inner], [base, `${inner}:1`], [base, `${base}:0`], [base, `${base}:1.2`]);
        }
      }
    }
    const clashes: string[] = [];
    for (const [a, b] of pairs) {
      for (const pa of [1, 2, 3, 6]) {
        for (const pb of [1, 2, 3, 6]) {
          const tagsA = new Set([`{${a}}`, ...partitionTags(a, pa)]);
          for (const tag of [`{${b}}`, ...partitionTags(b, pb)]) {
            if (tagsA.has(tag)) clashes.push(`${a} (P = ${pa}) and ${b} (P = ${pb}): ${tag}`);
          }
        }
      }
    }
    expect([...new Set(clashes)].slice(0, 5)).toEqual([]);
  });

  it('is deterministic', () => {
    for (const prefix of prefixes) expect(partitionTags(prefix, 17)).toEqual(partitionTags(prefix, 17));
  });

  it('accepts 256 partitions, with 256 distinct tags', () => {
    expect(new Set(partitionTags('app', 256)).size).toBe(256);
  });

  it.each([0, 257, 2.5, Number.NaN])('refuses %s partitions', (partitions) => {
    expect(() => partitionTags('app', partitions)).toThrow(/partitions must be an integer from 1 to 256/);
  });

  it('fails clearly when no candidate can reach a partition (a "}" pins every candidate to one slot)', () => {
    expect(() => partitionTags('a}', 2)).toThrow(/No hash tag for partition \d of 2 .* in 100000 tries/);
  });
});
