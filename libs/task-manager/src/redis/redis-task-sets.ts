import { LeadershipLostError } from '../errors/leadership-lost.error.js';
import type { SweepResult, TaskSetPort } from '../engine/coordination.port.js';
import { OwnerStrikes } from '../engine/owner-strikes.js';
import type { RedisScripts } from './redis-scripts.js';
import type { PartitionKeys } from './task-manager-keys.js';
import { SWEEP_PARTITION_ARGS } from '../wire/script-args.js';

/** Task ids sent per call when a task set is stored. */
const DECLARE_BATCH = 1000;

/**
 * Where the sweep learns the live workers: the deployment's workers ZSET read by the script itself (a
 * deployment of one partition: same slot), or, for a partition of several, a read just before each step
 * (the registry lies in another slot) along with the partition's pointer owners.
 */
export type LiveWorkers =
  | { readonly key: string }
  | {
      /** Every worker of the registry. */
      readonly read: () => Promise<string[]>;
      /** The owners of the partition's task-set pointers. */
      readonly owners: () => Promise<string[]>;
    };

/** Declared static task sets (one SET per distinct set) and the leader's sweep of undeclared tasks. */
export class RedisTaskSets implements TaskSetPort {
  /** Partition mode: a missing pointer owner is forgotten at its second strike (engine/owner-strikes.ts). */
  private readonly strikes = new OwnerStrikes();

  constructor(
    private readonly scripts: RedisScripts,
    private readonly keys: PartitionKeys,
    private readonly live: LiveWorkers,
  ) {}

  async declare(workerId: string, digest: string, taskIds: string[]): Promise<void> {
    const keys = [this.keys.taskSet(digest), this.keys.workerTaskSets, this.keys.taskSets];
    const head = [workerId, digest, taskIds.length];
    // Usually stored already (every instance of one version declares the same set): one call.
    if ((await this.scripts.run<number>('declareTaskSet', keys, head)) === 1) return;
    for (let i = 0; i < taskIds.length; i += DECLARE_BATCH) {
      await this.scripts.run<number>('declareTaskSet', keys, [...head, ...taskIds.slice(i, i + DECLARE_BATCH)]);
    }
  }

  async sweep(token: string, graceMs: number, cursor: string, count: number): Promise<SweepResult> {
    const reply = await ('key' in this.live
      ? this.scripts.run<-1 | [string, string[]]>(
          'sweepOrphans',
          [
            this.keys.leader,
            this.keys.schedule,
            this.keys.signatures,
            this.live.key,
            this.keys.workerTaskSets,
            this.keys.taskSets,
            this.keys.orphans,
            this.keys.dynamic,
          ],
          [token, graceMs, cursor, count, this.keys.taskSetPrefix, this.keys.taskStatePrefix, this.keys.historyPrefix],
        )
      : this.sweepPartition(this.live, token, graceMs, cursor, count));
    if (reply === -1) throw new LeadershipLostError();
    return { cursor: reply[0], removed: reply[1] };
  }

  /**
   * A step of sweep-partition-7 on the live workers read now. A pointer owner missing from them is
   * forgotten (its pointer dropped) only when it was missing at the previous step of the same term too: a
   * worker may announce itself and declare between the read and the script. A new term forgets nothing on
   * its first step.
   */
  private async sweepPartition(
    live: Extract<LiveWorkers, { read: unknown }>,
    token: string,
    graceMs: number,
    cursor: string,
    count: number,
  ): Promise<-1 | [string, string[]]> {
    const [workers, owners] = await Promise.all([live.read(), live.owners()]);
    const forget = this.strikes.forget(token, owners, workers);
    const reply = await this.scripts.run<-1 | [string, string[]]>(
      'sweepPartition',
      [
        this.keys.leader,
        this.keys.schedule,
        this.keys.signatures,
        this.keys.workerTaskSets,
        this.keys.taskSets,
        this.keys.orphans,
        this.keys.dynamic,
      ],
      SWEEP_PARTITION_ARGS.encode(
        {
          token,
          graceMs,
          cursor,
          count,
          taskSetPrefix: this.keys.taskSetPrefix,
          taskStatePrefix: this.keys.taskStatePrefix,
          historyPrefix: this.keys.historyPrefix,
        },
        [
          ...workers.map((workerId) => ({ workerId, live: '1' })),
          ...forget.map((workerId) => ({ workerId, live: '0' })),
        ],
      ),
    );
    return reply;
  }
}
