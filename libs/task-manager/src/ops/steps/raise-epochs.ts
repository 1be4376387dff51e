import { partitionsOf, type RepartitionRun } from '../repartition-run.js';

/**
 * Raises every new partition's fencing epoch to the highest epoch of the former partitions, so that the next
 * lease of each is above every lease ever issued (no token is used twice). Runs before anything of the former
 * layout is deleted; raising never lowers, so a run again after a deletion changes nothing.
 */
export async function raiseEpochs(run: RepartitionRun): Promise<void> {
  const read = await Promise.all(partitionsOf(run.before).map((keys) => run.client.get(keys.epoch)));
  const floor = Math.max(0, ...read.map((epoch) => Number(epoch ?? 0) || 0));
  if (floor === 0) return;
  for (const keys of partitionsOf(run.after)) {
    await run.scripts.run('raiseEpoch', [keys.epoch], [floor]);
    await run.step(`raise ${keys.epoch}`);
  }
}
