import type { RedisClient } from '../../redis/redis-client.js';
import { isMarker } from '../../wire/layout-marker.js';
import { encodeOneOffEntry } from '../../wire/one-off-entry.js';
import { runFromFields } from '../../wire/run-message.codec.js';
import { partitionsOf, type RepartitionRun } from '../repartition-run.js';

/** Stream entries read (and moved) per step. */
const BATCH = 500;

/**
 * Turns every run still in the former layout's run streams into a one-off entry of its task's new partition,
 * for its slot, attempt, kind and kwargs, due when it was published: a queued run (never delivered) and a run
 * delivered to a worker that stopped without finishing it (pending: the engine would have reclaimed it and run it
 * again; run once more here, the same at-least-once after a crash). A run already acknowledged is not moved.
 * Per batch: the one-off entries are added (idempotent: same member, same score), then the entries are deleted
 * from the stream (`clear-run-stream-1`, which also drops the stream, or its deployment groups, once empty).
 * Interrupted between both, a run again adds the same members.
 */
export async function moveRunStreams(run: RepartitionRun): Promise<void> {
  for (const keys of partitionsOf(run.before)) {
    await moveStream(run, keys.streamHigh, true);
    await moveStream(run, keys.streamNormal, false);
  }
}

async function moveStream(run: RepartitionRun, stream: string, highPriority: boolean): Promise<void> {
  const { client } = run;
  // The one-partition layout's normal stream is also the layout marker's: the repartition's marker stays on it.
  const keep = stream === run.before.layoutMarkerStream ? run.marker : '';
  const groups = (await readGroups(client, stream)).filter((group) => !isMarker(group.name));
  for (;;) {
    const entries = (await client.xrange(stream, '-', '+', 'COUNT', BATCH)) as Array<[string, string[]]>;
    const acknowledged = await acknowledgedAmong(client, stream, groups, entries);
    const added = new Map<string, Array<string | number>>();
    for (const [id, fields] of entries) {
      if (acknowledged.has(id)) continue;
      const message = runFromFields(id, highPriority, fields);
      if (message.taskId === '' || !Number.isFinite(message.slot)) {
        run.counts.dropped += 1;
        continue;
      }
      const { taskId, slot, attempt, kind, kwargs } = message;
      const oneOff = run.destination(taskId).oneOff;
      const members = added.get(oneOff) ?? [];
      members.push(publishedAt(id), encodeOneOffEntry({ taskId, slot, attempt, kind, kwargs }));
      added.set(oneOff, members);
      run.counts.runsConverted += 1;
    }
    for (const [oneOff, members] of added) {
      await client.zadd(oneOff, ...members);
      await run.step(`runs of ${stream} to ${oneOff}`);
    }
    const left = await run.scripts.run<number>('clearRunStream', [stream], [keep, ...entries.map(([id]) => id)]);
    await run.step(`clear ${stream}`);
    if (left === 0) return;
  }
}

/** A consumer group of a stream: its name and the last id delivered to it. */
interface Group {
  name: string;
  lastDeliveredId: string;
}

async function readGroups(client: RedisClient, stream: string): Promise<Group[]> {
  let replies: unknown[][];
  try {
    replies = (await client.xinfo('GROUPS', stream)) as unknown[][];
  } catch (error) {
    if (/no such key/i.test(String((error as Error).message))) return [];
    throw error;
  }
  return replies.map((fields) => {
    const value = (name: string) => String(fields[fields.indexOf(name) + 1]);
    return { name: value('name'), lastDeliveredId: value('last-delivered-id') };
  });
}

/**
 * The ids among `entries` that a group has acknowledged (delivered to it, and no longer pending) but that are
 * still in the stream: done, not to run again. (The engine deletes a run's entry when it acknowledges it, so
 * there are none unless a deletion was lost.)
 */
async function acknowledgedAmong(
  client: RedisClient,
  stream: string,
  groups: Group[],
  entries: Array<[string, string[]]>,
): Promise<Set<string>> {
  const done = new Set<string>();
  for (const group of groups) {
    const delivered = entries.map(([id]) => id).filter((id) => compareIds(id, group.lastDeliveredId) <= 0);
    if (delivered.length === 0) continue;
    const pending = await pendingBetween(client, stream, group.name, delivered[0], delivered[delivered.length - 1]);
    for (const id of delivered) if (!pending.has(id)) done.add(id);
  }
  return done;
}

/** The ids pending in `group` from `first` to `last` (inclusive), read in pages. */
async function pendingBetween(
  client: RedisClient,
  stream: string,
  group: string,
  first: string,
  last: string,
): Promise<Set<string>> {
  const ids = new Set<string>();
  let start = first;
  for (;;) {
    const page = (await client.xpending(stream, group, start, last, BATCH)) as Array<[string, ...unknown[]]>;
    for (const [id] of page) ids.add(id);
    if (page.length < BATCH) return ids;
    start = `(${page[page.length - 1][0]}`;
  }
}

/** Orders two stream ids (`<ms>-<seq>`). */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

/** When a run was published: the time part of its stream id (ms, the server's clock). */
function publishedAt(id: string): number {
  return Number(id.split('-')[0]);
}
