import { describe, expect, it } from 'vitest';
import { decodeTaskId, encodeTaskId, runIdOf } from '../src/registry/task-id.js';

/** Names chosen to break naive `group:task` or `group_task` joins, glob patterns and Redis key syntax. */
const HOSTILE_NAMES: readonly string[] = [
  'plain',
  'a_b',
  'b_c',
  'with:colon',
  ':',
  '::',
  '{hash}',
  '}{',
  'slash/inside',
  '/',
  'a/b/c',
  'with space',
  ' leading and trailing ',
  'line\nbreak',
  'tab\there',
  '\r\n',
  '*?[]',
  'glob[a-z]*',
  '\\back\\slash',
  '%41 already-encoded %2F',
  'at@sign#hash',
  'ünïcödé 日本語',
  '🚀🔥 emoji 👩‍👩‍👧',
  'x'.repeat(1024),
];

describe('encodeTaskId / decodeTaskId', () => {
  it('round-trips every pair of hostile group and task names', () => {
    for (const group of HOSTILE_NAMES) {
      for (const task of HOSTILE_NAMES) {
        const id = encodeTaskId(group, task);
        expect(decodeTaskId(id)).toEqual({ group, task });
      }
    }
  });

  it('is injective: different (group, task) pairs never share an id', () => {
    const seen = new Map<string, [string, string]>();
    for (const group of HOSTILE_NAMES) {
      for (const task of HOSTILE_NAMES) {
        const id = encodeTaskId(group, task);
        expect(seen.get(id), `id ${id} reused`).toBeUndefined();
        seen.set(id, [group, task]);
      }
    }
    expect(seen.size).toBe(HOSTILE_NAMES.length ** 2);
  });

  it("keeps pairs apart that FastAPI Task Manager's separator-joined keys would merge", () => {
    expect(encodeTaskId('a_b', 'c')).not.toBe(encodeTaskId('a', 'b_c'));
    expect(encodeTaskId('a:b', 'c')).not.toBe(encodeTaskId('a', 'b:c'));
    expect(encodeTaskId('a/b', 'c')).not.toBe(encodeTaskId('a', 'b/c'));
    expect(encodeTaskId('a', '')).not.toBe(encodeTaskId('', 'a'));
  });

  it('produces ids without ":", "{", "}", whitespace, "@" or "#"', () => {
    for (const group of HOSTILE_NAMES) {
      for (const task of HOSTILE_NAMES) {
        const id = encodeTaskId(group, task);
        expect(id).not.toMatch(/[:{}\s@#]/);
        // Exactly one separator: the one between group and task.
        expect(id.split('/')).toHaveLength(2);
      }
    }
  });

  it('decodes a 1024-character name unchanged', () => {
    const long = 'é'.repeat(1024);
    const id = encodeTaskId(long, long);
    expect(decodeTaskId(id)).toEqual({ group: long, task: long });
  });

  it('rejects an id without a separator', () => {
    expect(() => decodeTaskId('no-separator')).toThrow(/Malformed task id "no-separator"/);
  });
});

describe('runIdOf', () => {
  const taskId = encodeTaskId('reports', 'daily');

  it('names the task and the slot for a first attempt', () => {
    expect(runIdOf(taskId, 1_767_225_600_000)).toBe('reports/daily@1767225600000');
    expect(runIdOf(taskId, 1_767_225_600_000, 1)).toBe('reports/daily@1767225600000');
  });

  it('appends the attempt from the second attempt on', () => {
    expect(runIdOf(taskId, 1000, 2)).toBe('reports/daily@1000#2');
    expect(runIdOf(taskId, 1000, 3)).not.toBe(runIdOf(taskId, 1000, 2));
  });

  it('cannot collide between a task whose name looks like a run id and another task', () => {
    // Task "x@5" at slot 1 vs task "x" at slot 5: "@" in names is encoded, so the run ids differ.
    expect(runIdOf(encodeTaskId('g', 'x@5'), 1)).not.toBe(runIdOf(encodeTaskId('g', 'x'), 5));
    expect(runIdOf(encodeTaskId('g', 'x@1#2'), 1)).not.toBe(runIdOf(encodeTaskId('g', 'x'), 1, 2));
  });

  it('differs per slot', () => {
    expect(runIdOf(taskId, 1000)).not.toBe(runIdOf(taskId, 2000));
  });
});
