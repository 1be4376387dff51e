/**
 * Hostile group and task names, static and dynamic: 1 KiB long, with `{}`, `:`, `*`, `?`, `[`, `]`, line separators (U+2028; control characters are refused by the task spec),
 * unicode, `%`, `/`, and pairs that collide under a naive key scheme (`a:b`+`c` vs `a`+`b:c`, `a/b`+`c` vs
 * `a`+`b/c`, `%2F` vs `/`). On a private redis-server: every key of the deployment stays under its hash tag,
 * no two tasks share a key, names never become glob patterns (no SCAN/KEYS-like command runs at all while the
 * engine and the API work — checked with INFO commandstats — and none appears in the library source), and
 * listing, filtering and statistics through the API answer exactly the named task.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Injectable, type Type } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RegisterFunction, Task, TaskGroup, type TaskContext } from 'nestjs-task-manager';
import { encodeTaskId } from 'nestjs-task-manager/testing';
import { startApiApp, type ApiApp } from '../api/api-app.js';
import { startRedisServer, waitFor, type RedisServerHandle } from '../support/redis.js';
import { RunLog } from '../support/task-app.js';

const NEVER = '0 0 1 1 *';
const librarySource = fileURLToPath(new URL('../../libs/task-manager/src', import.meta.url));

/** A 1 KiB name (1024 UTF-16 code units) made of every hostile character. */
const kib = (fill: string) => {
  const tail = '{}:*?[]%/\u2028😀é';
  return fill.repeat(1024 - tail.length) + tail;
};

/** Group name -> static task names. */
const STATIC: Record<string, string[]> = {
  '{tag}:*?[a-z]%2F/é\u2028x': ['x:y', '*', '?', '[ab]', '%', '%25', '/', 'a/b', 'new\u2028line', '😀'],
  '{tag}:*?[a-z]%2F': ['x:y', '*', '?', '[ab]', '%', '%25', '/', 'a/b', 'new\u2028line', '😀'],
  [kib('G')]: [kib('T'), '*'],
  'a:b': ['c'],
  a: ['b:c', 'b/c', 'b%2Fc'],
  'a/b': ['c'],
  '*': ['*', '?'],
  '?': ['*'],
};
/** Dynamic task names created through the API in every group (no control characters: the task spec refuses them). */
const DYNAMIC = ['dyn:*', 'dyn?[x]', 'dyn/%2F/%', '{dyn}', '😀 dyn é', kib('D')];

/** One class per group, with one @Task per name and a registered function for dynamic tasks. */
function groupClass(group: string, names: string[]): Type {
  class Tasks {
    constructor(readonly log: RunLog) {}
  }
  const proto = Tasks.prototype as unknown as Record<string, unknown>;
  names.forEach((name, i) => {
    const method = `task${i}`;
    proto[method] = function (this: Tasks, kwargs: Record<string, unknown>, ctx: TaskContext) {
      this.log.start(kwargs, ctx)();
    };
    Reflect.decorate(
      [Task(NEVER, { name, register: false })],
      Tasks.prototype,
      method,
      Object.getOwnPropertyDescriptor(Tasks.prototype, method),
    );
  });
  proto.fn = function (this: Tasks, kwargs: Record<string, unknown>, ctx: TaskContext) {
    this.log.start(kwargs, ctx)();
  };
  Reflect.decorate(
    [RegisterFunction('fn')],
    Tasks.prototype,
    'fn',
    Object.getOwnPropertyDescriptor(Tasks.prototype, 'fn'),
  );
  Reflect.defineMetadata('design:paramtypes', [RunLog], Tasks); // built at runtime: no compiler metadata
  Reflect.decorate([Injectable()], Tasks);
  return Reflect.decorate([TaskGroup({ name: group })], Tasks) as Type;
}

/** Every `.ts` / `.lua` file under `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|lua)$/.test(entry) ? [path] : [];
  });
}

const SCAN_LIKE = ['scan', 'keys', 'hscan', 'sscan', 'zscan'];

describe('hostile names', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  let api: ApiApp;
  const prefix = 'hostile';
  const all: Array<{ group: string; name: string; dynamic: boolean }> = [];
  let commandStats = '';

  const enc = encodeURIComponent;
  const get = (path: string) => api.http.get(`/task-manager${path}`);

  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
    await redis.config('RESETSTAT');
    api = await startApiApp({
      groups: Object.entries(STATIC).map(([group, names]) => groupClass(group, names)),
      prefix,
      options: {
        redis: server.url,
        leaderHeartbeatInterval: 1,
        leaderRetryInterval: 1,
        runningHeartbeatInterval: 1,
        reconciliationInterval: 1,
      },
    });
    for (const [group, names] of Object.entries(STATIC))
      for (const name of names) all.push({ group, name, dynamic: false });
  }, 60_000);

  afterAll(async () => {
    redis?.disconnect();
    await api?.close();
    await server?.stop();
  });

  it('accepts the hostile names of static tasks and, through the API, of dynamic tasks', async () => {
    expect(api.service.listTasks()).toHaveLength(all.length);
    for (const group of Object.keys(STATIC)) {
      for (const name of DYNAMIC) {
        const res = await api.http
          .post('/task-manager/tasks')
          .send({ task_group_name: group, function_name: 'fn', cron_expression: NEVER, name, kwargs: { group, name } });
        expect([name, res.status, res.body.detail]).toEqual([name, 200, undefined]);
        expect(res.body).toMatchObject({ task_group_name: group, task_name: name });
        all.push({ group, name, dynamic: true });
      }
    }
    expect(api.service.listTasks()).toHaveLength(all.length);
    await waitFor(() => api.service.health().isLeader, { timeoutMs: 10_000 });
  }, 30_000);

  it('runs each of them once when triggered, each with its own state and history', async () => {
    const res = await api.http.post('/task-manager/tasks/trigger').expect(200);
    expect(res.body.count).toBe(all.length);
    await waitFor(() => api.log.entries.length >= all.length, { timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const ran = api.log.entries.map((e) => JSON.stringify([e.group, e.task])).sort();
    expect(ran).toEqual(all.map((t) => JSON.stringify([t.group, t.name])).sort());
    // Dynamic tasks received their own kwargs.
    for (const e of api.log.entries.filter((x) => x.kwargs.group !== undefined))
      expect(e.kwargs).toEqual({ group: e.group, name: e.task });
  }, 30_000);

  it('lists and filters exactly the named task (glob characters are literal)', async () => {
    for (const t of all) {
      const res = await get(`/tasks?task_group_name=${enc(t.group)}&name=${enc(t.name)}`).expect(200);
      expect(res.body.map((x: { task_group_name: string; name: string }) => [x.task_group_name, x.name])).toEqual([
        [t.group, t.name],
      ]);
    }
    // `*` and `?` match only the tasks literally named so.
    const stars = (await get(`/tasks?name=${enc('*')}`).expect(200)).body;
    expect(stars.map((x: { task_group_name: string }) => x.task_group_name).sort()).toEqual(
      all
        .filter((t) => t.name === '*')
        .map((t) => t.group)
        .sort(),
    );
    for (const group of Object.keys(STATIC)) {
      const groups = (await get(`/task-groups?name=${enc(group)}`).expect(200)).body;
      expect(groups).toEqual([
        expect.objectContaining({ name: group, task_count: STATIC[group].length + DYNAMIC.length }),
      ]);
      const functions = (await get(`/functions?task_group_name=${enc(group)}`).expect(200)).body;
      expect(functions).toEqual({ functions: [{ task_group_name: group, function_name: 'fn' }], count: 1 });
    }
  }, 30_000);

  it('serves the statistics of each through its percent-encoded path: its own single run', async () => {
    for (const t of all) {
      const res = await get(`/tasks/${enc(t.group)}/${enc(t.name)}/statistics`);
      expect([t.group, t.name, res.status]).toEqual([t.group, t.name, 200]);
      expect(res.body).toMatchObject({ task_group_name: t.group, task_name: t.name });
      expect(res.body.runs).toHaveLength(1);
      expect(res.body.runs[0].status).toBe('success');
    }
  }, 30_000);

  it('acts on one task only: disable, clear statistics, delete', async () => {
    const target = all.find((t) => t.group === '*' && t.name === '*')!;
    const disabled = await api.http
      .post(`/task-manager/tasks/disable?task_group_name=${enc(target.group)}&name=${enc(target.name)}`)
      .expect(200);
    expect(disabled.body.affected_tasks).toEqual([{ task_group: '*', task: '*' }]);
    const inactive = (await get('/tasks').expect(200)).body.filter((x: { is_active: boolean }) => !x.is_active);
    expect(inactive.map((x: { task_group_name: string; name: string }) => [x.task_group_name, x.name])).toEqual([
      ['*', '*'],
    ]);

    const twin = { group: '{tag}:*?[a-z]%2F', name: '%' };
    await api.http
      .delete(`/task-manager/tasks/statistics?task_group_name=${enc(twin.group)}&name=${enc(twin.name)}`)
      .expect(200);
    expect((await get(`/tasks/${enc(twin.group)}/${enc(twin.name)}/statistics`)).body.runs).toHaveLength(0);
    expect((await get(`/tasks/${enc('{tag}:*?[a-z]%2F/é\u2028x')}/${enc('%')}/statistics`)).body.runs).toHaveLength(1);
    expect((await get(`/tasks/${enc(twin.group)}/${enc('%25')}/statistics`)).body.runs).toHaveLength(1);

    const doomed = { group: 'a', name: 'dyn/%2F/%' };
    const before = await redis.exists(`{${prefix}}:runs:${encodeTaskId(doomed.group, doomed.name)}`);
    expect(before).toBe(1);
    await api.http.delete(`/task-manager/tasks?task_group_name=a&task_name=${enc(doomed.name)}`).expect(200);
    expect(await redis.exists(`{${prefix}}:runs:${encodeTaskId(doomed.group, doomed.name)}`)).toBe(0);
    expect(await redis.exists(`{${prefix}}:runs:${encodeTaskId('a/b', 'c')}`)).toBe(1);
    expect(await redis.exists(`{${prefix}}:runs:${encodeTaskId('a', 'b/c')}`)).toBe(1);
    const index = all.findIndex((t) => t.group === doomed.group && t.name === doomed.name);
    all.splice(index, 1);
    expect(api.service.listTasks()).toHaveLength(all.length);
  }, 30_000);

  it('ran no SCAN/KEYS-like command while the engine and the API worked (INFO commandstats)', async () => {
    // At least two reconciliation passes (every second here) and many heartbeats have run by now.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    commandStats = await redis.info('commandstats');
    const used = [...commandStats.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)].map(([, name]) => name);
    expect(used).toEqual(expect.arrayContaining(['evalsha', 'xreadgroup', 'zadd']));
    expect(used.filter((name) => SCAN_LIKE.includes(name))).toEqual([]);
  }, 20_000);

  it('keeps every key under the hash tag, one state and one history key per task (no collision)', async () => {
    const keys = await redis.keys('*'); // the private server holds this deployment only
    expect(keys.filter((k) => !k.startsWith(`{${prefix}}:`))).toEqual([]);
    const histories = keys.filter((k) => k.startsWith(`{${prefix}}:runs:`)).sort();
    // Every task ran once (its history exists), but the one whose statistics were cleared.
    const expected = all
      .filter((t) => !(t.group === '{tag}:*?[a-z]%2F' && t.name === '%'))
      .map((t) => `{${prefix}}:runs:${encodeTaskId(t.group, t.name)}`)
      .sort();
    expect(histories).toEqual(expected);
    expect(new Set(histories).size).toBe(histories.length);
    // Task ids never contain a character that would split or re-tag a key. (`*` survives percent-encoding:
    // harmless because no key pattern is ever built from an id — see the two tests above and below.)
    for (const t of all) expect(encodeTaskId(t.group, t.name).split('/')).toHaveLength(2);
    for (const t of all) expect(encodeTaskId(t.group, t.name)).not.toMatch(/[{}:?[\]\s]/);
  });

  it('has no SCAN/KEYS-like call in the library source (names are never patterns)', () => {
    const offenders: string[] = [];
    const ops = join(librarySource, 'ops');
    for (const file of sourceFiles(librarySource)) {
      const text = readFileSync(file, 'utf8');
      // The offline repartition (src/ops) walks whole keys of a stopped deployment with ZSCAN / HSCAN cursors:
      // never with a MATCH pattern, so no name becomes one.
      if (file.startsWith(`${ops}/`)) {
        if (/['"`]MATCH['"`]/i.test(text)) offenders.push(`${file}: a MATCH pattern`);
        if (/\.keys\(\s*['"`]|\.scan\s*\(|['"`](SCAN|KEYS)['"`]/.test(text)) offenders.push(`${file}: SCAN or KEYS`);
        continue;
      }
      const patterns = file.endsWith('.lua')
        ? [/redis\.call\(\s*'(SCAN|KEYS|HSCAN|SSCAN|ZSCAN)'/i, /rcall\(\s*'(SCAN|KEYS|HSCAN|SSCAN|ZSCAN)'/i]
        : [
            /\.(scan|scanStream|hscan|sscan|zscan|hscanStream|sscanStream|zscanStream)\s*\(/,
            /\.keys\(\s*['"`]/,
            /['"`](SCAN|KEYS)['"`]/,
          ];
      for (const pattern of patterns) if (pattern.test(text)) offenders.push(`${file}: ${pattern}`);
    }
    expect(offenders).toEqual([]);
  });
});
