import { LeadershipLostError } from '../errors/leadership-lost.error.js';
import type { SweepResult, TaskSetPort } from '../engine/coordination.port.js';
import type { RedisScripts } from './redis-scripts.js';
import type { TaskManagerKeys } from './task-manager-keys.js';

/** Task ids sent per call when a task set is stored. */
const DECLARE_BATCH = 1000;

/** Declared static task sets (one SET per distinct set) and the leader's sweep of undeclared tasks. */
export class RedisTaskSets implements TaskSetPort {
  constructor(
    private readonly scripts: RedisScripts,
    private readonly keys: TaskManagerKeys,
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
    const reply = await this.scripts.run<-1 | [string, string[]]>(
      'sweepOrphans',
      [
        this.keys.leader,
        this.keys.schedule,
        this.keys.signatures,
        this.keys.workers,
        this.keys.workerTaskSets,
        this.keys.taskSets,
        this.keys.orphans,
        this.keys.dynamic,
      ],
      [token, graceMs, cursor, count, this.keys.taskSetPrefix, this.keys.taskStatePrefix, this.keys.historyPrefix],
    );
    if (reply === -1) throw new LeadershipLostError();
    return { cursor: reply[0], removed: reply[1] };
  }
}
