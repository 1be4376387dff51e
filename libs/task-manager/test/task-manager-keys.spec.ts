import { describe, expect, it } from 'vitest';
import { encodeTaskId } from '../src/registry/task-id.js';
import { keySlot } from '../src/redis/redis-client.js';
import { type PartitionKeys, TaskManagerKeys } from '../src/redis/task-manager-keys.js';

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

  it('keeps the repartition lock on the deployment tag, apart from every other key', () => {
    const keys = new TaskManagerKeys('app', 6);
    expect(keys.repartitionLock).toBe('{app}:repartition-lock');
    const others = [keys.workers, keys.workerInfo, keys.events, ...keys.partitionWideKeys];
    for (let i = 0; i < 6; i++) others.push(...keys.partition(i).partitionWideKeys);
    expect(others).not.toContain(keys.repartitionLock);
  });

  it("lists a partition's own keys: its tag's, neither a task's nor the deployment's", () => {
    for (const keys of [new TaskManagerKeys('app'), new TaskManagerKeys('app', 3).partition(1)]) {
      const own = keys.partitionWideKeys;
      expect(new Set(own).size).toBe(own.length);
      for (const key of own) expect(key.startsWith(`${keys.tag}:`), key).toBe(true);
      expect(own).toEqual(expect.arrayContaining([keys.schedule, keys.oneOff, keys.streamNormal, keys.epoch]));
      expect(own).not.toContain(keys.taskState('g/t'));
    }
    const deployment = new TaskManagerKeys('app');
    for (const key of [deployment.workers, deployment.workerInfo, deployment.events])
      expect(deployment.partitionWideKeys).not.toContain(key);
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

/** Every key of a partition (per-task ones for `taskId`). */
function partitionKeyNames(keys: PartitionKeys, taskId: string): string[] {
  return [
    keys.schedule,
    keys.signatures,
    keys.oneOff,
    keys.streamHigh,
    keys.streamNormal,
    keys.leader,
    keys.epoch,
    keys.generation,
    keys.dynamic,
    keys.dynamicGeneration,
    keys.workerTaskSets,
    keys.taskSets,
    keys.orphans,
    keys.taskSet('d1'),
    keys.taskState(taskId),
    keys.history(taskId),
    keys.request('r1'),
    keys.stream(true),
    keys.stream(false),
  ];
}

describe('TaskManagerKeys with one partition (the default)', () => {
  const p1Names = {
    tag: '{app}',
    prefix: 'app',
    schedule: '{app}:schedule',
    signatures: '{app}:signatures',
    oneOff: '{app}:oneoff',
    streamHigh: '{app}:stream:high',
    streamNormal: '{app}:stream:normal',
    leader: '{app}:leader',
    epoch: '{app}:epoch',
    generation: '{app}:generation',
    dynamic: '{app}:dynamic',
    dynamicGeneration: '{app}:dynamic-generation',
    events: '{app}:events',
    workers: '{app}:workers',
    workerInfo: '{app}:worker-info',
    workerTaskSets: '{app}:worker-task-sets',
    taskSets: '{app}:task-sets',
    taskSetPrefix: '{app}:task-set:',
    orphans: '{app}:orphans',
    taskStatePrefix: '{app}:task:',
    historyPrefix: '{app}:runs:',
  };

  it('keeps every key name of the one-partition layout, byte for byte', () => {
    for (const keys of [new TaskManagerKeys('app'), new TaskManagerKeys('app', 1)]) {
      expect(keys).toMatchObject(p1Names);
      expect(keys.partitions).toBe(1);
      expect(keys.taskState('g/t')).toBe('{app}:task:g/t');
      expect(keys.history('g/t')).toBe('{app}:runs:g/t');
      expect(keys.taskSet('abc')).toBe('{app}:task-set:abc');
      expect(keys.request('0b5c')).toBe('{app}:request:0b5c');
      expect(keys.stream(true)).toBe('{app}:stream:high');
      expect(keys.stream(false)).toBe('{app}:stream:normal');
      expect(keys.allKeysPattern).toBe('{app}:*');
      expect(keys.allKeysPatterns).toEqual(['{app}:*']);
    }
  });

  it('is its own partition 0, and every task is in it', () => {
    const keys = new TaskManagerKeys('app');
    expect(keys.partition(0)).toBe(keys);
    expect(() => keys.partition(1)).toThrow(/No partition 1 in a deployment of 1/);
    for (const id of ['g/t', 'a/b', 'x']) expect(keys.partitionOf(id)).toBe(0);
  });
});

describe('TaskManagerKeys with 6 partitions', () => {
  const keys = new TaskManagerKeys('app', 6);
  const tags = ['{{app:0.2}', '{{app:1.4}', '{{app:2.1}', '{{app:3.12}', '{{app:4.23}', '{{app:5.3}'];

  it('keeps the deployment keys on {prefix}', () => {
    expect(keys.partitions).toBe(6);
    expect(keys.tag).toBe('{app}');
    expect([keys.workers, keys.workerInfo, keys.events]).toEqual([
      '{app}:workers',
      '{app}:worker-info',
      '{app}:events',
    ]);
  });

  it("puts each partition's keys on its own tag, all in one slot", () => {
    tags.forEach((tag, n) => {
      const partition = keys.partition(n);
      expect(partition.tag).toBe(tag);
      expect(partition.schedule).toBe(`${tag}:schedule`);
      expect(partition.taskState('g/t')).toBe(`${tag}:task:g/t`);
      expect(partition.request('r1')).toBe(`${tag}:request:r1`);
      const names = partitionKeyNames(partition, 'g/t');
      for (const name of names) expect(name.startsWith(`${tag}:`), name).toBe(true);
      expect(new Set(names.map((name) => keySlot(name)))).toEqual(new Set([keySlot(tag)]));
    });
    expect(() => keys.partition(6)).toThrow(/No partition 6 in a deployment of 6/);
    expect(() => keys.partition(-1)).toThrow(RangeError);
  });

  it('places different partitions, and the deployment keys, in different slots', () => {
    const slots = [keys.workers, ...tags.map((_, n) => keys.partition(n).schedule)].map((key) => keySlot(key));
    expect(new Set(slots).size).toBe(7);
  });

  it('maps tasks to partitions by wire/partition-of', () => {
    // Golden vectors of test/wire/partition-of.spec.ts.
    expect(keys.partitionOf('g/t')).toBe(0);
    expect(keys.partitionOf('billing/invoice%20run')).toBe(3);
    expect(keys.partitionOf('x')).toBe(3);
  });

  it('lists a pattern per tag, matching exactly its keys', () => {
    expect(keys.allKeysPattern).toBe('{app}:*');
    expect(keys.allKeysPatterns).toEqual(['{app}:*', ...tags.map((tag) => `${tag}:*`)]);
    const globs = keys.allKeysPatterns.map(redisGlobToRegExp);
    const all = [
      keys.workers,
      keys.workerInfo,
      keys.events,
      ...tags.flatMap((_, n) => partitionKeyNames(keys.partition(n), 'g/t')),
    ];
    for (const key of all)
      expect(
        globs.filter((glob) => glob.test(key)),
        key,
      ).toHaveLength(1);
  });

  it('escapes glob characters of the prefix in every pattern', () => {
    const globby = new TaskManagerKeys('a*b', 2);
    expect(globby.allKeysPatterns).toEqual([
      '{a\\*b}:*',
      ...[0, 1].map((n) => `${globby.partition(n).tag.replace('*', '\\*')}:*`),
    ]);
    expect(globby.allKeysPatterns[1]).toMatch(/^\{\{a\\\*b:0(\.\d+)?\}:\*$/);
  });

  it('refuses a partition count outside 1..256', () => {
    expect(() => new TaskManagerKeys('app', 0)).toThrow(/partitions must be an integer from 1 to 256/);
    expect(() => new TaskManagerKeys('app', 257)).toThrow(/partitions must be an integer from 1 to 256/);
  });
});
