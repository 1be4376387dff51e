import type { RedisClient } from '../../redis/redis-client.js';
import type { PartitionKeys } from '../../redis/task-manager-keys.js';
import { MOVE_TASKS_IN_ARGS, MOVE_TASKS_OUT_ARGS } from '../../wire/script-args.js';
import { randomUUID } from 'node:crypto';
import { partitionsOf, type RepartitionRun } from '../repartition-run.js';

/** Tasks moved per step (their state and history travel in the script's arguments). */
const BATCH = 100;

/**
 * Moves every task of the former layout to its new partition: schedule entry (same score: its next slot is
 * kept), signature (so that registering it again keeps that slot), dynamic definition, orphan note, state hash
 * and history stream (DUMP / RESTORE: entries, ids and TTL kept). Per batch and new partition, one script copies
 * the tasks there (`move-tasks-in-5`, overwriting what an interrupted run copied), then one removes them from
 * their former partition (`move-tasks-out-4`): a task is always whole in one place or the other (or both, until
 * a run again finishes). A task whose partition keeps its keys stays; only its run marks are cleared.
 */
export async function moveTasks(run: RepartitionRun): Promise<void> {
  for (const keys of partitionsOf(run.before)) {
    const ids = [...(await taskIdsOf(run.client, keys))];
    for (let first = 0; first < ids.length; first += BATCH) await moveBatch(run, keys, ids.slice(first, first + BATCH));
  }
}

/** The tasks a partition holds anything of: on its schedule, signatures, dynamic definitions or orphan notes. */
async function taskIdsOf(client: RedisClient, keys: PartitionKeys): Promise<Set<string>> {
  const ids = new Set<string>();
  const scan = async (key: string, sorted: boolean) => {
    let cursor = '0';
    do {
      const [next, flat] = sorted
        ? await client.zscan(key, cursor, 'COUNT', 1000)
        : await client.hscan(key, cursor, 'COUNT', 1000);
      for (let i = 0; i < flat.length; i += 2) ids.add(flat[i]);
      cursor = next;
    } while (cursor !== '0');
  };
  await scan(keys.schedule, true);
  await scan(keys.signatures, false);
  await scan(keys.dynamic, false);
  await scan(keys.orphans, true);
  return ids;
}

async function moveBatch(run: RepartitionRun, from: PartitionKeys, ids: string[]): Promise<void> {
  const kept: string[] = [];
  const moving = new Map<PartitionKeys, string[]>();
  for (const id of ids) {
    const to = run.destination(id);
    if (to.tag === from.tag) kept.push(id);
    else moving.set(to, [...(moving.get(to) ?? []), id]);
  }
  if (kept.length > 0) {
    // Same keys in both layouts: nothing to copy; the run marks name messages of streams emptied meanwhile.
    await copyIn(run, from, kept.map(emptyItem));
    await run.step(`run marks of ${kept.length} tasks kept in ${from.tag}`);
    run.counts.tasksKept += kept.length;
  }
  for (const [to, movingIds] of moving) {
    const items = await readTasks(run.client, from, movingIds);
    run.counts.tasksMoved += await copyIn(run, to, items);
    await run.step(`${movingIds.length} tasks into ${to.tag}`);
    await run.scripts.run(
      'moveTasksOut',
      [from.schedule, from.signatures, from.dynamic, from.orphans],
      MOVE_TASKS_OUT_ARGS.encode(
        { taskStatePrefix: from.taskStatePrefix, historyPrefix: from.historyPrefix },
        movingIds.map((taskId) => ({ taskId })),
      ),
    );
    run.counts.keysDeleted += items.reduce(
      (sum, item) => sum + (item.state === '' ? 0 : 1) + (item.history === '' ? 0 : 1),
      0,
    );
    await run.step(`${movingIds.length} tasks out of ${from.tag}`);
  }
}

/** What `move-tasks-in-5` copies of one task ('' for what it does not have). */
type TaskItem = Parameters<typeof MOVE_TASKS_IN_ARGS.encode>[1][number];

const emptyItem = (taskId: string): TaskItem => ({
  taskId,
  slot: '',
  signature: '',
  definition: '',
  orphanSince: '',
  state: '',
  stateTtl: 0,
  history: '',
  historyTtl: 0,
});

/** Everything of `ids` in partition `keys`, read in one pipeline (one slot). */
async function readTasks(client: RedisClient, keys: PartitionKeys, ids: string[]): Promise<TaskItem[]> {
  const pipeline = client.pipeline();
  for (const id of ids) {
    pipeline
      .zscore(keys.schedule, id)
      .hget(keys.signatures, id)
      .hget(keys.dynamic, id)
      .zscore(keys.orphans, id)
      .dumpBuffer(keys.taskState(id))
      .pttl(keys.taskState(id))
      .dumpBuffer(keys.history(id))
      .pttl(keys.history(id));
  }
  const replies = (await pipeline.exec())!;
  for (const [error] of replies) if (error) throw error;
  const value = (i: number) => replies[i][1];
  return ids.map((taskId, n) => {
    const at = n * 8;
    const state = dumped(value(at + 4), value(at + 5));
    const history = dumped(value(at + 6), value(at + 7));
    return {
      taskId,
      slot: (value(at) as string | null) ?? '',
      signature: (value(at + 1) as string | null) ?? '',
      definition: (value(at + 2) as string | null) ?? '',
      orphanSince: (value(at + 3) as string | null) ?? '',
      state: state.payload,
      stateTtl: state.ttl,
      history: history.payload,
      historyTtl: history.ttl,
    };
  });
}

/**
 * A key's DUMP payload and RESTORE TTL from its DUMP and PTTL replies: TTL 0 for none (PTTL -1), at least 1 ms
 * for one about to expire; nothing ('') for a key absent, or expired between both reads (PTTL -2).
 */
function dumped(payload: unknown, pttl: unknown): { payload: Buffer | ''; ttl: number } {
  const ms = Number(pttl);
  if (!Buffer.isBuffer(payload) || ms === -2) return { payload: '', ttl: 0 };
  return { payload, ttl: ms === -1 ? 0 : Math.max(1, ms) };
}

/** Copies tasks into partition `to`; returns how many had something to copy. */
function copyIn(run: RepartitionRun, to: PartitionKeys, items: TaskItem[]): Promise<number> {
  return run.scripts.run<number>(
    'moveTasksIn',
    [to.schedule, to.signatures, to.dynamic, to.orphans, to.dynamicGeneration],
    MOVE_TASKS_IN_ARGS.encode(
      { taskStatePrefix: to.taskStatePrefix, historyPrefix: to.historyPrefix, definitionsGeneration: randomUUID() },
      items,
    ),
  );
}
