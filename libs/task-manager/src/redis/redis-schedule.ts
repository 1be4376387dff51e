import type { RedisClient } from './redis-client.js';
import { LeadershipLostError } from '../errors/leadership-lost.error.js';
import type {
  DueItem,
  PendingRunCount,
  PendingRunCounts,
  PublishItem,
  PublishResult,
  PublishStatus,
  ReclaimOptions,
  ReclaimResult,
  ScheduleEntry,
  SchedulePort,
} from '../engine/coordination.port.js';
import type { RedisScripts } from './redis-scripts.js';
import type { ReplicaWait } from './replica-wait.js';
import { runFromFields } from '../wire/run-message.codec.js';
import { decodeOneOffEntry } from '../wire/one-off-entry.js';
import { isHighPriority, priorityOf } from '../wire/run-tag.js';
import { flag, PUBLISH_RUNS_ARGS, REGISTER_TASKS_ARGS } from '../wire/script-args.js';
import type { PartitionKeys } from './task-manager-keys.js';

const REGISTER_BATCH = 1000;

/**
 * The most items one `publish-runs` call carries. A call blocks every other client of Redis while it runs
 * (≈ 26 µs per item): a batch of a thousand is sent as pipelined calls of this many, each held ≈ 3 ms.
 */
export const PUBLISH_SLICE = 100;

/** An exhausted run as `reclaim-runs` returns it: priority, message id, fields. */
type ExhaustedReply = [string, string, string[]];

/** The schedule ZSET, the one-off queue and the leader-side scripts that publish and reclaim runs. */
export class RedisSchedule implements SchedulePort {
  constructor(
    private readonly client: RedisClient,
    private readonly scripts: RedisScripts,
    private readonly keys: PartitionKeys,
    private readonly group: string,
    /** Waits for replicas after a publish (option `waitForReplicas`). */
    private readonly replicas?: ReplicaWait,
  ) {}

  async register(entries: ScheduleEntry[]): Promise<number> {
    let changed = 0;
    for (let i = 0; i < entries.length; i += REGISTER_BATCH) {
      const batch = entries.slice(i, i + REGISTER_BATCH);
      const args = REGISTER_TASKS_ARGS.encode(
        { taskStatePrefix: this.keys.taskStatePrefix },
        batch.map((e) => ({
          taskId: e.taskId,
          signature: e.signature,
          firstSlot: e.firstSlot,
          version: e.dynamic ? (e.version ?? '1') : '0',
          disabled: flag(e.disabled === true),
        })),
      );
      changed += await this.scripts.run<number>(
        'registerTasks',
        [this.keys.schedule, this.keys.signatures, this.keys.dynamic],
        args,
      );
    }
    return changed;
  }

  count(): Promise<number> {
    return this.client.zcard(this.keys.schedule);
  }

  /** One pipelined round trip: XLEN and the XPENDING summary of each run stream. */
  async pendingRuns(): Promise<PendingRunCounts> {
    const replies = (await this.client
      .pipeline()
      .xlen(this.keys.streamHigh)
      .xpending(this.keys.streamHigh, this.group)
      .xlen(this.keys.streamNormal)
      .xpending(this.keys.streamNormal, this.group)
      .exec())! as Array<[Error | null, unknown]>;
    const of = (offset: number): PendingRunCount => {
      const [[lenError, length], [pendingError, summary]] = replies.slice(offset, offset + 2);
      if (lenError) throw lenError;
      // (No stream or consumer group yet: nothing was ever delivered.)
      if (pendingError && !pendingError.message.startsWith('NOGROUP')) throw pendingError;
      const delivered = pendingError ? 0 : Number((summary as [number | string])[0] ?? 0);
      return { queued: Math.max(0, Number(length) - delivered), delivered };
    };
    return { high: of(0), normal: of(2) };
  }

  async fetchDue(nowMs: number, limit: number): Promise<DueItem[]> {
    const [[e1, scheduled], [e2, oneOff]] = (await this.client
      .pipeline()
      .zrangebyscore(this.keys.schedule, '-inf', nowMs, 'WITHSCORES', 'LIMIT', 0, limit)
      .zrangebyscore(this.keys.oneOff, '-inf', nowMs, 'WITHSCORES', 'LIMIT', 0, limit)
      .exec())! as Array<[Error | null, string[]]>;
    if (e1 || e2) throw e1 ?? e2;
    const due: DueItem[] = [];
    for (let i = 0; i < scheduled.length; i += 2) {
      due.push({
        source: 'scheduled',
        taskId: scheduled[i],
        rawScore: scheduled[i + 1],
        slot: Number(scheduled[i + 1]),
      });
    }
    const malformed: string[] = [];
    for (let i = 0; i < oneOff.length; i += 2) {
      const member = oneOff[i];
      const parsed = decodeOneOffEntry(member);
      if (parsed) due.push({ source: 'oneOff', member, ...parsed });
      else malformed.push(member);
    }
    // A member we cannot read would stay due forever: drop it.
    if (malformed.length > 0) await this.client.zrem(this.keys.oneOff, ...malformed);
    return due;
  }

  async peekEarliest(): Promise<number | null> {
    const [[e1, first], [e2, firstOneOff]] = (await this.client
      .pipeline()
      .zrange(this.keys.schedule, 0, 0, 'WITHSCORES')
      .zrange(this.keys.oneOff, 0, 0, 'WITHSCORES')
      .exec())! as Array<[Error | null, string[]]>;
    if (e1 || e2) throw e1 ?? e2;
    const scores = [first[1], firstOneOff[1]].filter((s) => s !== undefined).map(Number);
    return scores.length > 0 ? Math.min(...scores) : null;
  }

  /**
   * Publishes `items` in calls of at most {@link PUBLISH_SLICE}, sent at once (one round trip). Each call is
   * atomic and fenced on its own: a call after the term ended publishes nothing, and a batch cut short (the
   * term ended, the connection dropped) is safe to publish again, as every item is a compare-and-set on its
   * due entry ("moved" once published).
   */
  async publish(token: string, nowMs: number, items: PublishItem[]): Promise<PublishResult> {
    const slices: PublishItem[][] = [];
    for (let i = 0; i < items.length; i += PUBLISH_SLICE) slices.push(items.slice(i, i + PUBLISH_SLICE));
    if (slices.length === 0) slices.push([]);
    const replies = await Promise.all(slices.map((slice) => this.publishSlice(token, nowMs, slice)));
    if (replies.includes(-1)) throw new LeadershipLostError();
    const statuses = (replies as Array<[number, PublishStatus[]]>).flatMap(([, sliceStatuses]) => sliceStatuses);
    // The last call ran after every other one: its earliest due is the schedule's after the whole batch.
    const [earliest] = replies[replies.length - 1] as [number, PublishStatus[]];
    if (statuses.includes('published')) await this.replicas?.after('publish of runs');
    return { statuses, earliestDue: earliest >= 0 ? earliest : null };
  }

  private publishSlice(token: string, nowMs: number, items: PublishItem[]): Promise<-1 | [number, PublishStatus[]]> {
    const args = PUBLISH_RUNS_ARGS.encode(
      { token, nowMs, taskStatePrefix: this.keys.taskStatePrefix },
      items.map(({ due, ...item }) => {
        const scheduled = due.source === 'scheduled';
        return {
          source: scheduled ? 's' : 'o',
          taskId: due.taskId,
          expected: scheduled ? due.rawScore : due.member,
          nextSlot: scheduled ? item.nextSlot : '',
          priority: priorityOf(item.highPriority),
          allowParallel: flag(item.allowParallel),
          attempt: item.attempt,
          kind: item.kind,
          slots: item.slots,
        };
      }),
    );
    return this.scripts.run<-1 | [number, PublishStatus[]]>(
      'publishRuns',
      [
        this.keys.leader,
        this.keys.schedule,
        this.keys.oneOff,
        this.keys.streamHigh,
        this.keys.streamNormal,
        this.keys.generation,
      ],
      args,
    );
  }

  async reclaimExpired(
    token: string,
    { leaseTtlMs, limit, cursor = { high: '0-0', normal: '0-0' }, maxDeliveries }: ReclaimOptions,
  ): Promise<ReclaimResult> {
    if (cursor.high === '0-0' && cursor.normal === '0-0' && !(await this.anyPending())) {
      return { taskIds: [], cursor, exhausted: [] };
    }
    const reply = await this.scripts.run<-1 | [string, string, string[], ExhaustedReply[]]>(
      'reclaimRuns',
      [this.keys.leader, this.keys.streamHigh, this.keys.streamNormal],
      [
        token,
        this.group,
        leaseTtlMs,
        limit,
        this.keys.taskStatePrefix,
        `${this.group}:reclaimer`,
        cursor.high,
        cursor.normal,
        maxDeliveries,
      ],
    );
    if (reply === -1) throw new LeadershipLostError();
    const [high, normal, taskIds, exhausted] = reply;
    return {
      taskIds,
      cursor: { high, normal },
      exhausted: exhausted.map(([priority, messageId, fields]) =>
        runFromFields(messageId, isHighPriority(priority), fields),
      ),
    };
  }

  /**
   * Whether any run is pending (delivered, not acknowledged) in either stream: a sweep from the start with
   * none costs two reads instead of the script's four commands. Not fenced: it changes nothing, and a
   * deposed leader finds out at its next renewal (an idle deployment sweeps all the time: issue 14).
   */
  private async anyPending(): Promise<boolean> {
    const summaries = (await this.client
      .pipeline()
      .xpending(this.keys.streamHigh, this.group)
      .xpending(this.keys.streamNormal, this.group)
      .exec())! as Array<[Error | null, unknown]>;
    // (No stream or consumer group yet: let the script answer, as it always did.)
    return summaries.some(([error, summary]) => error || Number((summary as [number | string])[0] ?? 0) > 0);
  }

  async ensureGroups(): Promise<void> {
    for (const stream of [this.keys.streamHigh, this.keys.streamNormal]) {
      try {
        await this.client.xgroup('CREATE', stream, this.group, '0', 'MKSTREAM');
      } catch (error) {
        if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
      }
    }
  }
}
