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

  it('gives the tags of the plan for 3 and 6 partitions', () => {
    expect(partitionTags('tm', 3)).toEqual(['{tm:0}', '{tm:1}', '{tm:2.3}']);
    const tags = partitionTags('app', 6);
    expect(tags).toEqual(['{app:0.22}', '{app:1.33}', '{app:2.18}', '{app:3.43}', '{app:4.3}', '{app:5.1}']);
    expect(tags.map((tag) => keySlot(tag))).toEqual([1310, 4282, 7279, 9285, 11_679, 15_085]);
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
          if (!inRange || slot !== keySlot(tag) || !tag.startsWith(`{${prefix}`))
            wrong.push(`${n}/${partitions} ${tag}`);
        });
      }
    }
    expect(wrong).toEqual([]);
  });

  it('names each candidate {prefix:N} or {prefix:N.k}, trying N first', () => {
    for (const partitions of [2, 6, 256]) {
      partitionTags('my-app:prod', partitions).forEach((tag, n) => {
        expect(tag).toMatch(new RegExp(`^\\{my-app:prod:${n}(\\.[1-9]\\d*)?\\}$`));
      });
    }
    // {tm:0} and {tm:1} are in range, so no suffix is tried.
    expect(partitionTags('tm', 3).slice(0, 2)).toEqual(['{tm:0}', '{tm:1}']);
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
