import { describe, expect, it } from 'vitest';
import { MAX_PARTITIONS, partitionOf } from '../../src/wire/partition-of.js';

/**
 * Golden vectors: which partition a task id belongs to is part of the wire (instances of different versions
 * and both drivers must agree), so these never change. Computed independently, with Python's
 * binascii.crc_hqx(id.encode('utf-8'), 0) % partitions.
 */
const golden: Array<[taskId: string, crc: number, byPartitions: Record<number, number>]> = [
  ['g/t', 13_872, { 2: 0, 3: 0, 6: 0, 7: 5, 16: 0, 64: 48, 256: 48 }],
  ['reports/daily', 38_197, { 2: 1, 3: 1, 6: 1, 7: 5, 16: 5, 64: 53, 256: 53 }],
  ['billing/invoice%20run', 40_935, { 2: 1, 3: 0, 6: 3, 7: 6, 16: 7, 64: 39, 256: 231 }],
  ['%C3%A9t%C3%A9/t%C3%A2che', 29_527, { 2: 1, 3: 1, 6: 1, 7: 1, 16: 7, 64: 23, 256: 87 }],
  ['a/b', 63_079, { 2: 1, 3: 1, 6: 1, 7: 2, 16: 7, 64: 39, 256: 103 }],
  ['x', 65_439, { 2: 1, 3: 0, 6: 3, 7: 3, 16: 15, 64: 31, 256: 159 }],
];

describe('partitionOf', () => {
  it.each(golden)('maps %j to its pinned partitions', (taskId, crc, byPartitions) => {
    for (const [partitions, expected] of Object.entries(byPartitions)) {
      expect(partitionOf(taskId, Number(partitions)), `${partitions} partitions`).toBe(expected);
      expect(expected).toBe(crc % Number(partitions));
    }
  });

  it('is 0 for every task with one partition', () => {
    for (const [taskId] of golden) expect(partitionOf(taskId, 1)).toBe(0);
  });

  it('stays within 0 .. partitions - 1', () => {
    for (let partitions = 1; partitions <= MAX_PARTITIONS; partitions++) {
      for (let i = 0; i < 50; i++) {
        const p = partitionOf(`g/task-${i}`, partitions);
        expect(Number.isInteger(p) && p >= 0 && p < partitions).toBe(true);
      }
    }
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_PARTITIONS + 1])(
    'refuses %s partitions',
    (partitions) => {
      expect(() => partitionOf('g/t', partitions)).toThrow(/partitions must be an integer from 1 to 256/);
    },
  );

  it('accepts 256 partitions', () => {
    expect(partitionOf('x', MAX_PARTITIONS)).toBe(159);
  });
});
