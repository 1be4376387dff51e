import { RepartitionRefusedError } from '../../errors/repartition-refused.error.js';
import type { RedisClient } from '../../redis/redis-client.js';
import type { PartitionKeys } from '../../redis/task-manager-keys.js';
import { repartitionMessages } from '../repartition.messages.js';
import { partitionsOf, type RepartitionRun } from '../repartition-run.js';

/**
 * Deletes what is left of the former layout once its tasks and runs were moved: every key of a partition the
 * new layout does not have (epoch, data generation, definitions generation, lease, streams, task-set
 * declarations; its schedule, signatures, one-off queue, definitions and orphan notes must be empty by now, or
 * nothing is deleted there), and the task-set declarations of a partition it keeps (the instances declare their
 * task sets again at start). The layout marker stream is left to the marker's last switch. One DEL per
 * partition (one slot); deleting again deletes nothing.
 */
export async function deleteFormerPartitions(run: RepartitionRun): Promise<void> {
  const { client } = run;
  for (const keys of partitionsOf(run.before)) {
    const declarations = await declarationKeys(client, keys);
    let doomed: string[];
    if (run.kept(keys)) {
      doomed = [keys.workerTaskSets, keys.taskSets, ...declarations];
    } else {
      const holding = [keys.schedule, keys.signatures, keys.oneOff, keys.dynamic, keys.orphans];
      const left = await Promise.all(holding.map((key) => client.exists(key)));
      const notEmpty = holding.filter((_, i) => left[i] > 0);
      if (notEmpty.length > 0) throw new RepartitionRefusedError(repartitionMessages.formerPartitionNotEmpty(notEmpty));
      doomed = [...keys.partitionWideKeys, ...declarations].filter((key) => key !== run.before.layoutMarkerStream);
    }
    run.counts.keysDeleted += await client.del(...doomed);
    await run.step(`delete ${keys.tag}`);
  }
}

/** The keys of the task sets declared in a partition (each `task-set:<digest>` its declarations name). */
async function declarationKeys(client: RedisClient, keys: PartitionKeys): Promise<string[]> {
  const [digests, pointed] = await Promise.all([client.hkeys(keys.taskSets), client.hvals(keys.workerTaskSets)]);
  return [...new Set([...digests, ...pointed])].map((digest) => keys.taskSet(digest));
}
