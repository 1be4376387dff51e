import { decodeOneOffEntry } from '../../wire/one-off-entry.js';
import { partitionsOf, type RepartitionRun } from '../repartition-run.js';

/** One-off entries looked at per step. */
const BATCH = 500;

/**
 * Moves every one-off queue entry (a trigger, a retry, a deferred or handed-back run, and the runs the stream
 * step turned into entries) to its task's new partition, member and due time unchanged: added there, then
 * removed here (ZADD then ZREM, each idempotent: interrupted between both, a run again adds the same member once).
 * Entries whose task keeps its partition stay; an entry that is not one (the engine would drop it) is dropped.
 */
export async function moveOneOffRuns(run: RepartitionRun): Promise<void> {
  const { client } = run;
  for (const keys of partitionsOf(run.before)) {
    let cursor = '0';
    do {
      // A ZSCAN returns every member present throughout the scan: those moved away are the ones it returned.
      const [next, flat] = await client.zscan(keys.oneOff, cursor, 'COUNT', BATCH);
      cursor = next;
      const moved = new Map<string, Array<string | number>>();
      const removed: string[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const member = flat[i];
        const entry = decodeOneOffEntry(member);
        if (entry === undefined) {
          removed.push(member);
          run.counts.dropped += 1;
          continue;
        }
        const oneOff = run.destination(entry.taskId).oneOff;
        if (oneOff === keys.oneOff) continue;
        const members = moved.get(oneOff) ?? [];
        members.push(flat[i + 1], member);
        moved.set(oneOff, members);
        removed.push(member);
        run.counts.oneOffRunsMoved += 1;
      }
      for (const [oneOff, members] of moved) {
        await client.zadd(oneOff, ...members);
        await run.step(`one-off runs of ${keys.oneOff} to ${oneOff}`);
      }
      if (removed.length > 0) {
        await client.zrem(keys.oneOff, ...removed);
        await run.step(`one-off runs out of ${keys.oneOff}`);
      }
    } while (cursor !== '0');
  }
}
