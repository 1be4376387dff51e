import { describe, expect, it } from 'vitest';
import type { RunMessage } from '../src/engine/coordination.port.js';
import { heldKey } from '../src/engine/held-run.js';

const run = (messageId: string, highPriority: boolean, partition?: number): RunMessage => ({
  messageId,
  highPriority,
  taskId: 't',
  slot: 0,
  attempt: 0,
  kind: 'scheduled',
  generation: '',
  deliveries: 1,
  ...(partition === undefined ? {} : { partition }),
});

describe('heldKey', () => {
  it('is the run tag of one partition (partition absent or 0), unchanged', () => {
    expect(heldKey(run('1-0', true))).toBe('h|1-0');
    expect(heldKey(run('1-0', false, 0))).toBe('n|1-0');
  });

  it('tells apart runs of two partitions with the same message id and priority', () => {
    const keys = [run('1-0', true, 0), run('1-0', true, 1), run('1-0', true, 2), run('1-0', false, 2)].map(heldKey);
    expect(new Set(keys).size).toBe(4);
    expect(keys[1]).toBe('h|1-0@1');
  });
});
