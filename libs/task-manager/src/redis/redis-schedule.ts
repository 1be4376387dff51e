import type { RedisClient } from './redis-client.js';
import { LeadershipLostError } from '../errors/leadership-lost.error.js';
import type {
  DueItem,
  PublishItem,
  PublishResult,
  PublishStatus,
  RunKind,
  ScheduleEntry,
  SchedulePort,
} from '../engine/coordination.port.js';
import type { RedisScripts } from './redis-scripts.js';
import type { TaskManagerKeys } from './task-manager-keys.js';

const REGISTER_BATCH = 1000;

/** The schedule ZSET, the one-off queue and the leader-side scripts that publish and reclaim runs. */
export class RedisSchedule implements SchedulePort {
  constructor(
    private readonly client: RedisClient,
    private readonly scripts: RedisScripts,
    private readonly keys: TaskManagerKeys,
    private readonly group: string,
  ) {}

  async register(entries: ScheduleEntry[]): Promise<number> {
    let changed = 0;
    for (let i = 0; i < entries.length; i += REGISTER_BATCH) {
      const batch = entries.slice(i, i + REGISTER_BATCH);
      const args: Array<string | number> = [batch.length];
      for (const e of batch) args.push(e.taskId, e.signature, e.firstSlot, e.dynamic ? '1' : '0');
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
      const parsed = parseOneOff(member);
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

  async publish(token: string, nowMs: number, items: PublishItem[]): Promise<PublishResult> {
    const args: Array<string | number> = [token, nowMs, this.keys.taskStatePrefix, items.length];
    for (const item of items) {
      const { due } = item;
      const scheduled = due.source === 'scheduled';
      args.push(
        scheduled ? 's' : 'o',
        due.taskId,
        scheduled ? due.rawScore : due.member,
        scheduled ? item.nextSlot : '',
        item.highPriority ? 'h' : 'n',
        item.allowParallel ? '1' : '0',
        item.attempt,
        item.kind,
        item.slots.length,
        ...item.slots,
      );
    }
    const reply = await this.scripts.run<-1 | [number, PublishStatus[]]>(
      'publishRuns',
      [this.keys.leader, this.keys.schedule, this.keys.oneOff, this.keys.streamHigh, this.keys.streamNormal],
      args,
    );
    if (reply === -1) throw new LeadershipLostError();
    const [earliest, statuses] = reply;
    return { statuses, earliestDue: earliest >= 0 ? earliest : null };
  }

  async reclaimExpired(token: string, leaseTtlMs: number, limit: number): Promise<string[]> {
    const reply = await this.scripts.run<-1 | string[]>(
      'reclaimRuns',
      [this.keys.leader, this.keys.streamHigh, this.keys.streamNormal],
      [token, this.group, leaseTtlMs, limit, this.keys.taskStatePrefix, `${this.group}:reclaimer`],
    );
    if (reply === -1) throw new LeadershipLostError();
    return reply;
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

function parseOneOff(member: string): { taskId: string; slot: number; attempt: number; kind: RunKind } | undefined {
  try {
    const [taskId, slot, attempt, kind] = JSON.parse(member) as [string, number, number, RunKind];
    if (typeof taskId !== 'string' || !Number.isFinite(slot)) return undefined;
    return { taskId, slot, attempt: Number(attempt) || 1, kind };
  } catch {
    return undefined;
  }
}
