import { describe, expect, it } from 'vitest';
import { RepartitionRefusedError } from '../../src/errors/repartition-refused.error.js';
import { planRepartition } from '../../src/ops/repartition-preflight.js';
import { TaskManagerKeys } from '../../src/redis/task-manager-keys.js';
import { readMarkedLayout } from '../../src/wire/layout-marker.js';

const keys = new TaskManagerKeys('app');
const plan = (groups: string[], to: number, from?: number) =>
  planRepartition(keys, { groups, layout: readMarkedLayout(groups) }, to, from);

describe('repartition: what to do, from the layout marker', () => {
  it('moves from the marked count (1 when unmarked), replacing its marker', () => {
    expect(plan([], 6)).toEqual({ kind: 'move', from: 1, to: 6, resumed: false, current: '' });
    expect(plan(['nest-task-manager'], 6, 1)).toEqual({ kind: 'move', from: 1, to: 6, resumed: false, current: '' });
    expect(plan(['partitions:6'], 3)).toEqual({
      kind: 'move',
      from: 6,
      to: 3,
      resumed: false,
      current: 'partitions:6',
    });
    expect(plan(['partitions:6'], 1, 6)).toMatchObject({ kind: 'move', from: 6, to: 1 });
  });

  it('has nothing to do at the count asked', () => {
    expect(plan(['partitions:6'], 6)).toEqual({ kind: 'unchanged', partitions: 6 });
    expect(plan([], 1)).toEqual({ kind: 'unchanged', partitions: 1 });
  });

  it('resumes the repartition the marker says was begun, to the same count', () => {
    expect(plan(['repartition:1:6', 'nest-task-manager'], 6)).toEqual({
      kind: 'move',
      from: 1,
      to: 6,
      resumed: true,
      current: 'repartition:1:6',
    });
    expect(plan(['repartition:6:3'], 3, 6)).toMatchObject({ resumed: true, from: 6 });
  });

  it('refuses a wrong `from`, another target while one is pending, and contradicting markers', () => {
    expect(() => plan(['partitions:6'], 3, 4)).toThrow(RepartitionRefusedError);
    expect(() => plan(['partitions:6'], 3, 4)).toThrow('has 6 partitions (its layout marker says so), not 4 as given');
    expect(() => plan([], 3, 2)).toThrow('has 1 partition (its layout marker says so: none), not 2 as given');
    expect(() => plan(['repartition:1:6'], 3)).toThrow(
      'from 1 to 6 partitions was begun and not finished, and this one asks for 3: finish that one first (the same command with --to 6',
    );
    expect(() => plan(['repartition:1:6'], 6, 2)).toThrow('and this one asks for 2 → 6');
    expect(() => plan(['partitions:6', 'partitions:3'], 2)).toThrow(
      'is marked with layouts that contradict each other (consumer groups "partitions:3", "partitions:6" on {app}:stream:normal)',
    );
  });
});
