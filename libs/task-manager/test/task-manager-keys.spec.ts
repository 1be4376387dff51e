import { describe, expect, it } from 'vitest';
import { encodeTaskId } from '../src/registry/task-id.js';
import { TaskManagerKeys } from '../src/redis/task-manager-keys.js';

/**
 * Redis glob semantics (as in `KEYS` / `SCAN MATCH`): `*`, `?`, `[...]` (with `^` negation and ranges),
 * and `\x` matching `x` literally. Enough of it to check that `allKeysPattern` escapes the prefix.
 */
function redisGlobToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]);
    else if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) source += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        const negate = body.startsWith('^');
        if (negate) body = body.slice(1);
        source += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
        i = end;
      }
    } else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function everyKey(keys: TaskManagerKeys, taskId = encodeTaskId('g', 't')): string[] {
  return [
    keys.schedule,
    keys.signatures,
    keys.oneOff,
    keys.streamHigh,
    keys.streamNormal,
    keys.leader,
    keys.epoch,
    keys.dynamic,
    keys.events,
    keys.workers,
    keys.workerInfo,
    keys.taskState(taskId),
    keys.history(taskId),
    keys.stream(true),
    keys.stream(false),
  ];
}

describe('TaskManagerKeys', () => {
  it('starts every key with the {prefix} hash tag followed by ":"', () => {
    const keys = new TaskManagerKeys('my-app');
    expect(keys.tag).toBe('{my-app}');
    for (const key of everyKey(keys)) expect(key.startsWith('{my-app}:'), key).toBe(true);
    expect(keys.taskStatePrefix.startsWith('{my-app}:')).toBe(true);
    expect(keys.historyPrefix.startsWith('{my-app}:')).toBe(true);
  });

  it('gives every key a distinct name', () => {
    const keys = new TaskManagerKeys('app');
    const distinct = [
      keys.schedule,
      keys.signatures,
      keys.oneOff,
      keys.streamHigh,
      keys.streamNormal,
      keys.leader,
      keys.epoch,
      keys.dynamic,
      keys.events,
      keys.workers,
      keys.workerInfo,
      keys.taskState('g/t'),
      keys.history('g/t'),
    ];
    expect(new Set(distinct).size).toBe(distinct.length);
  });

  it('routes priorities to their streams', () => {
    const keys = new TaskManagerKeys('app');
    expect(keys.stream(true)).toBe(keys.streamHigh);
    expect(keys.stream(false)).toBe(keys.streamNormal);
    expect(keys.streamHigh).not.toBe(keys.streamNormal);
  });

  it('builds per-task keys from the prefixes used by the Lua scripts', () => {
    const keys = new TaskManagerKeys('app');
    const id = encodeTaskId('g', 't');
    expect(keys.taskState(id)).toBe(keys.taskStatePrefix + id);
    expect(keys.history(id)).toBe(keys.historyPrefix + id);
  });

  it("keeps per-task keys of names that collide in FastAPI Task Manager's keys apart", () => {
    const keys = new TaskManagerKeys('app');
    const pairs: Array<[[string, string], [string, string]]> = [
      [
        ['a_b', 'c'],
        ['a', 'b_c'],
      ],
      [
        ['a:b', 'c'],
        ['a', 'b:c'],
      ],
      [
        ['a/b', 'c'],
        ['a', 'b/c'],
      ],
      [
        ['a', 'runs:b'],
        ['a', 'b'],
      ],
    ];
    for (const [[g1, t1], [g2, t2]] of pairs) {
      const id1 = encodeTaskId(g1, t1);
      const id2 = encodeTaskId(g2, t2);
      expect(keys.taskState(id1)).not.toBe(keys.taskState(id2));
      expect(keys.history(id1)).not.toBe(keys.history(id2));
    }
  });

  it("a task's state key never equals another task's history key or a shared key", () => {
    const keys = new TaskManagerKeys('app');
    const ids = ['a', 'runs:a', 'task:a', 'schedule', ':schedule'].flatMap((n) => [
      encodeTaskId(n, n),
      encodeTaskId('g', n),
    ]);
    const perTask = ids.flatMap((id) => [keys.taskState(id), keys.history(id)]);
    expect(new Set(perTask).size).toBe(perTask.length);
    for (const key of everyKey(keys).slice(0, 11)) expect(perTask).not.toContain(key);
  });
});

describe('TaskManagerKeys.allKeysPattern', () => {
  it('is the tag followed by ":*" for a plain prefix, and matches every key', () => {
    const keys = new TaskManagerKeys('my-app');
    expect(keys.allKeysPattern).toBe('{my-app}:*');
    const glob = redisGlobToRegExp(keys.allKeysPattern);
    for (const key of everyKey(keys)) expect(key).toMatch(glob);
  });

  it('escapes glob characters of the prefix', () => {
    expect(new TaskManagerKeys('a*b').allKeysPattern).toBe('{a\\*b}:*');
    expect(new TaskManagerKeys('a?b').allKeysPattern).toBe('{a\\?b}:*');
    expect(new TaskManagerKeys('a[b]c').allKeysPattern).toBe('{a\\[b\\]c}:*');
    expect(new TaskManagerKeys('a\\b').allKeysPattern).toBe('{a\\\\b}:*');
  });

  it.each(['app*', 'app?', 'app[12]', 'a\\*', '[^x]', 'app-*?[]\\'])(
    'with prefix %j matches its own keys and no other deployment',
    (prefix) => {
      const keys = new TaskManagerKeys(prefix);
      const glob = redisGlobToRegExp(keys.allKeysPattern);
      for (const key of everyKey(keys)) expect(key).toMatch(glob);
      // Deployments whose prefixes an unescaped pattern would also match.
      for (const other of ['app', 'appX', 'app-other', 'app1', 'a\\b', 'a\\x', 'y', `${prefix}x`, 'app-x[]\\']) {
        if (other === prefix) continue;
        for (const key of everyKey(new TaskManagerKeys(other))) expect(key, `${prefix} vs ${other}`).not.toMatch(glob);
      }
    },
  );

  it('the glob helper itself treats unescaped characters as wildcards (sanity check)', () => {
    expect('{appX}:schedule').toMatch(redisGlobToRegExp('{app*}:*'));
    expect('{appX}:schedule').not.toMatch(redisGlobToRegExp('{app\\*}:*'));
  });
});
