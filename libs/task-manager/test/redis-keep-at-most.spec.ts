import { describe, expect, it } from 'vitest';
import type { RunMessage } from '../src/engine/coordination.port.js';
import { highFirst, keepAtMost, type RedisPartitionRuns } from '../src/redis/redis-partition-runs.js';
import { PartitionKeys } from '../src/redis/task-manager-keys.js';

const run = (taskId: string, highPriority: boolean, partition: number): RunMessage => ({
  messageId: `1-${taskId}`,
  highPriority,
  taskId,
  slot: 0,
  attempt: 1,
  kind: 'scheduled',
  generation: '',
  deliveries: 1,
  partition,
});

/** Two partitions whose unread calls are recorded (`failing`: its calls reject). */
function parts(failing?: number) {
  const calls: Array<{ stream: string; ids: string[] }> = [];
  const make = (index: number) => {
    const keys = new PartitionKeys(`{p:${index}}`);
    return {
      keys,
      unread: async (highPriority: boolean, runs: RunMessage[]) => {
        calls.push({ stream: keys.stream(highPriority), ids: runs.map((r) => r.messageId) });
        if (index === failing) throw new Error('down');
      },
    } as unknown as RedisPartitionRuns;
  };
  const all = [make(0), make(1)];
  return { calls, partOf: (r: RunMessage) => all[r.partition ?? 0] };
}

describe('keepAtMost', () => {
  it('keeps the first count (high first) and puts each extra back on its own stream, one call per stream', async () => {
    const { calls, partOf } = parts();
    const runs = highFirst([
      run('a', false, 0),
      run('b', true, 1),
      run('c', false, 1),
      run('d', true, 0),
      run('e', false, 0),
    ]);
    const kept = await keepAtMost(2, runs, partOf);
    expect(kept.map((r) => r.taskId)).toEqual(['b', 'd']);
    expect(calls.sort((x, y) => x.stream.localeCompare(y.stream))).toEqual([
      { stream: '{p:0}:stream:normal', ids: ['1-a', '1-e'] },
      { stream: '{p:1}:stream:normal', ids: ['1-c'] },
    ]);
  });

  it('keeps the runs of a stream whose put-back failed; nothing is put back within count', async () => {
    const { calls, partOf } = parts(1);
    const runs = [run('b', true, 1), run('a', false, 0), run('c', false, 1)];
    expect((await keepAtMost(1, runs, partOf)).map((r) => r.taskId)).toEqual(['b', 'c']);
    expect(calls).toHaveLength(2);
    const none = parts();
    expect(await keepAtMost(3, runs, none.partOf)).toBe(runs);
    expect(none.calls).toEqual([]);
  });
});
