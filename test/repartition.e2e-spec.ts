/**
 * The offline repartition (`nestjs-task-manager/ops`, issue 15) on a real Redis:
 * - a deployment booted with the Nest module at P = 1 (static and dynamic tasks, a disabled one, states, history,
 *   a pending one-off run, a queued run and a run held by a dead worker) stopped, moved to 6 and booted there:
 *   same next slots, states, history and dynamic tasks through TaskManagerService, each queued run run exactly
 *   once; then 6 → 3 → 1 and booted again: the key layout of P = 1, key for key;
 * - interrupted after every step it takes (1 → 6, and 6 → 3 on a key prefix where both layouts share a partition
 *   tag), then run again: it finishes with what an uninterrupted run stores, nothing lost or duplicated; and
 *   no instance of either count starts meanwhile;
 * - its refusals (a live worker, a held lease, a wrong `from`, its lock held, another repartition pending, an
 *   instance starting as it begins, data in the new layout's partitions), each leaving everything as it was;
 * - the command (`npx nestjs-task-manager repartition`), spawned once.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import {
  RegisterFunction,
  Task,
  TaskGroup,
  TaskManagerConfigurationError,
  type TaskContext,
} from 'nestjs-task-manager';
import { RepartitionInterruptedError, RepartitionRefusedError, repartition } from 'nestjs-task-manager/ops';
import { encodeTaskId, TaskManagerKeys } from 'nestjs-task-manager/testing';
import { runRepartition } from '../libs/task-manager/src/ops/repartition.js';
import type { RepartitionOptions } from '../libs/task-manager/src/ops/repartition.options.js';
import { resolveOptions } from '../libs/task-manager/src/options/resolve-options.js';
import { partitionTags } from '../libs/task-manager/src/redis/partition-tags.js';
import { createRedisCoordination } from '../libs/task-manager/src/redis/redis-coordination.js';
import { ensureLibraryFresh } from './support/library-build.js';
import { ROOT } from './support/packed-app.js';
import { redisUrl, uniquePrefix, waitFor } from './support/redis.js';
import { silentLogger } from './support/redis-port.js';
import {
  contentOf,
  deleteKeysOf,
  keysOf,
  restoreSnapshot,
  SEED_TASKS,
  seedDeployment,
  snapshotOf,
} from './support/repartition-data.js';
import { RunLog, sleep, startTaskApp, type TaskApp } from './support/task-app.js';

const client = new Redis(redisUrl());
const prefixes: string[] = [];
const apps: TaskApp[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const prefix of prefixes.splice(0)) await deleteKeysOf(client, prefix);
});
afterAll(() => client.disconnect());

function freshPrefix(label: string): string {
  const prefix = uniquePrefix(label);
  prefixes.push(prefix);
  return prefix;
}

/** A repartition of `keyPrefix` on the test Redis, without the settle pause (nothing starts meanwhile here). */
function move(keyPrefix: string, to: number, extra: Partial<RepartitionOptions> = {}, afterStep?: (n: number) => void) {
  return runRepartition({ redis: redisUrl(), keyPrefix, to, ...extra }, { settleMs: 0, afterStep });
}

/** The groups of the layout marker stream of `prefix`. */
async function markerGroups(prefix: string): Promise<string[]> {
  const stream = new TaskManagerKeys(prefix).layoutMarkerStream;
  if ((await client.exists(stream)) === 0) return [];
  return ((await client.xinfo('GROUPS', stream)) as unknown[][]).map((f) => String(f[f.indexOf('name') + 1])).sort();
}

/** Why an instance with `partitions` refuses to start on `prefix` (its driver's connect), or undefined. */
async function startRefusal(prefix: string, partitions: number): Promise<string | undefined> {
  const port = createRedisCoordination(
    resolveOptions({ redis: redisUrl(), keyPrefix: prefix, partitions }),
    'x',
    silentLogger,
  );
  try {
    await port.lifecycle.connect();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(TaskManagerConfigurationError);
    return (error as Error).message;
  } finally {
    await port.lifecycle.close();
  }
}

const NEVER = '0 0 1 1 *';

@TaskGroup({ name: 'Moves' })
@Injectable()
class MovingTasks {
  constructor(private readonly log: RunLog) {}

  @Task('* * * * * *', { name: 'tick' })
  tick(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @Task(NEVER, { name: 'still', kwargs: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }, { n: 6 }] })
  still(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @Task(NEVER, { name: 'manual' })
  manual(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @Task(NEVER, { name: 'flaky' })
  flaky(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
    throw new Error('flaky failed');
  }

  @Task(NEVER, { name: 'queued' })
  queued(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @Task(NEVER, { name: 'streamed' })
  streamed(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @Task(NEVER, { name: 'held' })
  held(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }

  @RegisterFunction('report')
  report(kwargs: Record<string, unknown>, ctx: TaskContext): void {
    this.log.start(kwargs, ctx)();
  }
}

/** The tasks whose runs the repartition moves (they run after it, so their state changes). */
const RUNNING = ['tick', 'queued', 'streamed', 'held'];

async function boot(prefix: string, partitions: number, options: Record<string, unknown> = {}): Promise<TaskApp> {
  const app = await startTaskApp({ groups: [MovingTasks], prefix, options: { partitions, ...options } });
  apps.push(app);
  return app;
}

/** What the service tells of every task but those whose runs move: definitions and states. */
async function tasksSeenBy(app: TaskApp) {
  const views = await app.service.getTasks();
  return views
    .filter((view) => !RUNNING.includes(view.task.name))
    .map((view) => ({ name: view.task.name, kwargs: view.task.kwargs, dynamic: view.task.dynamic, state: view.state }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function historiesSeenBy(app: TaskApp) {
  return {
    manual: await app.service.getRunHistory('Moves', 'manual'),
    flaky: await app.service.getRunHistory('Moves', 'flaky'),
  };
}

describe('repartition: a deployment of the Nest module, 1 → 6 → 3 → 1', () => {
  it('keeps next slots, states, history and dynamic tasks, runs each queued run once, and ends on the P = 1 layout', async () => {
    const prefix = freshPrefix('rp-app');
    const keys1 = new TaskManagerKeys(prefix);
    const idOf = (name: string) => encodeTaskId('Moves', name);

    // At P = 1: ticks, a run recorded and a failure, a disabled task, a dynamic task.
    const first = await boot(prefix, 1);
    await first.service.trigger({ groupName: 'Moves', name: 'manual' }, { kwargs: { by: 'test' } });
    await first.service.trigger({ groupName: 'Moves', name: 'flaky' });
    await first.service.disable({ groupName: 'Moves', name: 'still-2' });
    await first.service.createDynamicTask({
      groupName: 'Moves',
      functionName: 'report',
      cronExpression: NEVER,
      name: 'dyn',
      kwargs: { to: 'ops' },
    });
    await waitFor(
      async () =>
        (await first.service.getRunHistory('Moves', 'flaky')).length === 1 &&
        (await first.service.getRunHistory('Moves', 'manual')).length === 1 &&
        (await first.service.getRunHistory('Moves', 'tick')).length > 0,
      { message: 'the runs recorded at P = 1' },
    );
    // A slot of its own for still-3 (kept by the move, not computed again).
    const slot = Date.now() + 3_600_000 + 123;
    await client.zadd(keys1.schedule, 'XX', slot, idOf('still-3'));
    const before = await tasksSeenBy(first);
    const histories = await historiesSeenBy(first);
    expect(before.find((task) => task.name === 'still-3')!.state.nextRun).toBe(slot);
    expect(before.map((task) => task.name)).toContain('dyn');
    await first.close();
    const layoutAtOne = (await keysOf(client, prefix)).filter((key) => !key.includes(':request:'));

    // Stopped: a pending one-off run (triggered through an API-only instance), a queued run, and a run held by a
    // worker that died.
    const api = await boot(prefix, 1, { autoStart: false });
    await api.service.trigger({ groupName: 'Moves', name: 'queued' }, { kwargs: { q: 1 } });
    await api.close();
    expect(await client.zcard(keys1.oneOff)).toBe(1);
    const generation = (await client.get(keys1.generation))!;
    const heldSlot = Date.now() - 60_000;
    const streamedSlot = Date.now() - 30_000;
    await client.xadd(
      keys1.streamNormal,
      '*',
      't',
      idOf('held'),
      's',
      heldSlot,
      'a',
      1,
      'k',
      'trigger',
      'g',
      generation,
    );
    await client.xreadgroup(
      'GROUP',
      'nest-task-manager',
      'dead-worker',
      'COUNT',
      1,
      'STREAMS',
      keys1.streamNormal,
      '>',
    );
    await client.xadd(
      keys1.streamHigh,
      '*',
      't',
      idOf('streamed'),
      's',
      streamedSlot,
      'a',
      2,
      'k',
      'retry',
      'g',
      generation,
    );
    const oldEpoch = Number(await client.get(keys1.epoch));

    // 1 → 6 (the public function, with its pause after marking).
    const lines: string[] = [];
    const toSix = await repartition({
      redis: redisUrl(),
      keyPrefix: prefix,
      to: 6,
      onProgress: (line) => lines.push(line),
    });
    expect(toSix).toMatchObject({ from: 1, to: 6, resumed: false, runsConverted: 2, oneOffRunsMoved: 1 });
    expect(toSix.tasksMoved).toBeGreaterThanOrEqual(12);
    expect(lines.at(-1)).toContain(`Key prefix "${prefix}" repartitioned from 1 to 6 partitions`);
    expect(await markerGroups(prefix)).toEqual(['partitions:6']);
    const left = (await keysOf(client, prefix)).filter(
      (key) => key.startsWith(`{${prefix}}:`) && !key.includes(':request:'),
    );
    expect(left).toEqual([keys1.layoutMarkerStream]);
    const keys6 = new TaskManagerKeys(prefix, 6);
    for (let i = 0; i < 6; i++) expect(Number(await client.get(keys6.partition(i).epoch))).toBe(oldEpoch);
    // A P = 1 instance refuses the new layout.
    expect(await startRefusal(prefix, 1)).toContain('already used by a deployment with partitions: 6');

    // At P = 6: the same tasks, states and history; the moved runs run once each.
    const six = await boot(prefix, 6);
    expect(await tasksSeenBy(six)).toEqual(before);
    expect(await historiesSeenBy(six)).toEqual(histories);
    await waitFor(() => ['queued', 'streamed', 'held'].every((name) => six.log.of(name).length > 0), {
      message: 'the moved runs run',
    });
    await sleep(1_500);
    expect(six.log.of('queued').map((run) => run.kwargs)).toEqual([{ q: 1 }]);
    expect(six.log.of('held').map((run) => [run.slot, run.attempt])).toEqual([[heldSlot, 1]]);
    expect(six.log.of('streamed').map((run) => [run.slot, run.attempt])).toEqual([[streamedSlot, 2]]);
    for (const name of ['queued', 'streamed', 'held']) {
      expect(await six.service.getRunHistory('Moves', name), name).toHaveLength(1);
    }
    await six.close();

    // 6 → 3 → 1, then booted at P = 1: its keys are those it had before, and the moved runs' state and history.
    expect(await move(prefix, 3)).toMatchObject({ from: 6, to: 3 });
    expect(await move(prefix, 1, { from: 3 })).toMatchObject({ from: 3, to: 1 });
    expect(await markerGroups(prefix)).toEqual([]);
    expect((await keysOf(client, prefix)).filter((key) => !key.startsWith(`{${prefix}}:`))).toEqual([]);
    const again = await boot(prefix, 1);
    expect(await tasksSeenBy(again)).toEqual(before);
    expect(await historiesSeenBy(again)).toEqual(histories);
    const ticks = (await again.service.getRunHistory('Moves', 'tick')).length;
    await waitFor(async () => (await again.service.getRunHistory('Moves', 'tick')).length > ticks, {
      message: 'a tick at P = 1 again',
    });
    await again.close();
    const moved = ['queued', 'streamed', 'held'].flatMap((name) => [
      keys1.taskState(idOf(name)),
      keys1.history(idOf(name)),
    ]);
    expect((await keysOf(client, prefix)).filter((key) => !key.includes(':request:'))).toEqual(
      [...layoutAtOne, ...moved].sort(),
    );
  }, 60_000);
});

describe('repartition: interrupted and run again', () => {
  /**
   * From `snapshot`, runs the repartition to `to` once uninterrupted, then, for every step it took, again
   * interrupted after that step and run once more: each ends with what the uninterrupted run stored.
   */
  async function everyInterruption(
    prefix: string,
    snapshot: Awaited<ReturnType<typeof snapshotOf>>,
    from: number,
    to: number,
  ) {
    await restoreSnapshot(client, prefix, snapshot);
    let steps = 0;
    const reference = await move(prefix, to, {}, (n) => void (steps = n));
    expect(reference).toMatchObject({ from, to, resumed: false });
    const expected = await contentOf(client, prefix);
    expect(steps).toBeGreaterThan(10);
    for (let step = 1; step < steps; step++) {
      await restoreSnapshot(client, prefix, snapshot);
      const failing = move(prefix, to, {}, (n) => {
        if (n === step) throw new Error(`injected failure after step ${step}`);
      });
      await expect(failing).rejects.toThrow(RepartitionInterruptedError);
      await expect(failing).rejects.toThrow(`injected failure after step ${step}`);
      expect(await markerGroups(prefix)).toContain(`repartition:${from}:${to}`);
      if (step === 1 || step === steps - 1) {
        // Meanwhile, no instance of either count starts, and each says what to do.
        for (const partitions of [from, to]) {
          const refusal = await startRefusal(prefix, partitions);
          expect(refusal).toContain(
            `A repartition of key prefix "${prefix}" from ${from} to ${to} partitions is in progress`,
          );
          expect(refusal).toContain(`--key-prefix ${prefix} --to ${to}`);
        }
      }
      const resumed = await move(prefix, to);
      expect(resumed, `resumed after step ${step}`).toMatchObject({ from, to, resumed: true });
      expect(await contentOf(client, prefix), `after an interruption at step ${step}`).toEqual(expected);
    }
  }

  it('1 → 6 and 6 → 3 (a partition tag shared by both layouts): every interruption, then run again', async () => {
    // A key prefix whose layouts of 6 and 3 partitions share partition 0's tag (same keys in both).
    let prefix = '';
    for (let n = 0; ; n++) {
      prefix = `${uniquePrefix('rp-int')}-${n}`;
      const six = partitionTags(prefix, 6);
      if (partitionTags(prefix, 3).some((tag, i) => tag === six[i])) break;
    }
    prefixes.push(prefix);
    const { runs } = await seedDeployment(prefix, client);
    const one = await snapshotOf(client, prefix);
    await everyInterruption(prefix, one, 1, 6);

    // The seeded deployment at 6 partitions: its held and queued runs are one-off runs now.
    await restoreSnapshot(client, prefix, one);
    await move(prefix, 6);
    const keys6 = new TaskManagerKeys(prefix, 6);
    for (const taskId of runs) {
      const members = await client.zrange(keys6.partition(keys6.partitionOf(taskId)).oneOff, 0, -1);
      expect(members.filter((m) => JSON.parse(m)[0] === taskId)).toHaveLength(1);
    }
    await everyInterruption(prefix, await snapshotOf(client, prefix), 6, 3);
  }, 60_000);
});

describe('repartition: refusals', () => {
  it('refuses while an instance lives or leads, for a wrong `from`, while locked or another is pending, changing nothing', async () => {
    const prefix = freshPrefix('rp-no');
    await seedDeployment(prefix, client);
    const keys = new TaskManagerKeys(prefix);
    const now = async () => {
      const [seconds, micros] = await client.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    };
    /** Sets a condition up, expects the repartition refused with `text`, nothing changed, then undoes it. */
    const refused = async (
      text: string,
      setUp: () => Promise<unknown>,
      undo: () => Promise<unknown>,
      attempt = () => move(prefix, 6),
    ) => {
      await setUp();
      const content = await contentOf(client, prefix);
      const refusal = attempt();
      await expect(refusal).rejects.toThrow(RepartitionRefusedError);
      await expect(refusal).rejects.toThrow(text);
      expect(await contentOf(client, prefix)).toEqual(content);
      await undo();
    };

    await refused(
      'has 1 live instance (nest-task-manager:host:1:a, seen',
      async () => client.zadd(keys.workers, await now(), 'nest-task-manager:host:1:a'),
      () => client.del(keys.workers),
    );
    await refused(
      'has 1 partition lease held (partition 0 of 1 by w-1',
      () => client.set(keys.leader, 'w-1|7', 'PX', 10_000),
      () => client.del(keys.leader),
    );
    await refused(
      `has 1 partition (its layout marker says so: none), not 3 as given (from)`,
      async () => undefined,
      async () => undefined,
      () => move(prefix, 6, { from: 3 }),
    );
    await refused(
      'holds its lock (other-host:1:x',
      () => client.set(keys.repartitionLock, 'other-host:1:x', 'PX', 10_000),
      () => client.del(keys.repartitionLock),
    );
    await refused(
      'from 1 to 6 partitions was begun and not finished, and this one asks for 3',
      () => client.xgroup('CREATE', keys.layoutMarkerStream, 'repartition:1:6', '$'),
      () => client.xgroup('DESTROY', keys.layoutMarkerStream, 'repartition:1:6'),
      () => move(prefix, 3),
    );
    const stray = new TaskManagerKeys(prefix, 6).partition(2).schedule;
    await refused(
      `already hold data (${stray})`,
      () => client.zadd(stray, 1, 'Stray/task'),
      () => client.del(stray),
    );
    // An instance that registers as the repartition begins: the marker is put back as it was.
    await refused(
      'It started while the repartition was beginning',
      async () => undefined,
      () => client.del(keys.workers),
      () =>
        runRepartition(
          { redis: redisUrl(), keyPrefix: prefix, to: 6 },
          { settleMs: 0, afterStep: async () => void (await client.zadd(keys.workers, Date.now(), 'late:1')) },
        ).finally(() => client.del(keys.workers)),
    );

    // A worker silent for longer than workerSilenceMs (crashed) does not hold it back.
    await client.zadd(keys.workers, (await now()) - 5_000, 'crashed:1');
    expect(await move(prefix, 6, { workerSilenceMs: 2_000 })).toMatchObject({ from: 1, to: 6 });
    expect(await move(prefix, 6)).toMatchObject({ from: 6, to: 6, unchanged: true, tasksMoved: 0 });
  });

  it('lists every problem of its options', async () => {
    const attempt = repartition({ redis: 'http://localhost', keyPrefix: 'a b', to: 0, from: 300, workerSilenceMs: -1 });
    await expect(attempt).rejects.toThrow(TaskManagerConfigurationError);
    const message = ((await attempt.catch((error: unknown) => error)) as Error).message;
    expect(message).toContain('Invalid repartition options:');
    expect(message).toContain('redis URL must start with redis:// or rediss://');
    expect(message).toContain('keyPrefix must be a string of at most 200 characters');
    expect(message).toContain('to: partitions must be an integer from 1 to 256 (got 0)');
    expect(message).toContain('from: partitions must be an integer from 1 to 256 (got 300)');
    expect(message).toContain('workerSilenceMs must be a number of milliseconds >= 0 (got -1)');
  });
});

describe('the command: npx nestjs-task-manager repartition', () => {
  beforeAll(() => ensureLibraryFresh(), 180_000);

  /** Runs the built command with `args`; its exit code and output. */
  function command(args: string[], env: Record<string, string> = {}) {
    const child = spawn(process.execPath, [join(ROOT, 'libs/task-manager/dist/ops/cli.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      child.once('close', (code) => resolve({ code, stdout, stderr })),
    );
  }

  it('repartitions a stopped deployment, refuses a wrong --from, and says how it is used', async () => {
    const prefix = freshPrefix('rp-cli');
    await seedDeployment(prefix, client);
    const done = await command(['repartition', '--key-prefix', prefix, '--to', '4'], { REDIS_URL: redisUrl() });
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`Key prefix "${prefix}": 1 partition now, moving to 4.`);
    expect(done.stdout).toContain(`Key prefix "${prefix}" repartitioned from 1 to 4 partitions`);
    expect(done.stdout).toContain(`${SEED_TASKS.length + 1} tasks moved`);
    expect(done.stdout).toContain('Start every instance with partitions: 4.');
    expect(await markerGroups(prefix)).toEqual(['partitions:4']);

    const wrong = await command([
      'repartition',
      '--redis',
      redisUrl(),
      '--key-prefix',
      prefix,
      '--to',
      '2',
      '--from',
      '3',
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      `Key prefix "${prefix}" has 4 partitions (its layout marker says so), not 3 as given`,
    );

    const usage = await command(['repartition', '--redis', redisUrl(), '--to', '2']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Missing --key-prefix');
    const help = await command(['repartition', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: nestjs-task-manager repartition --key-prefix <prefix> --to <partitions>');
  });
});
