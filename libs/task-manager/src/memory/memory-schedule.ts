import type {
  DueItem,
  PublishItem,
  PublishResult,
  PublishStatus,
  RunKind,
  ScheduleEntry,
  SchedulePort,
} from '../engine/coordination.port.js';
import { LeadershipLostError } from '../errors/leadership-lost.error.js';
import { runTag, type MemoryStore } from './memory-store.js';

/**
 * The schedule, the one-off queue and the leader's publish / reclaim steps, in memory. Each operation is
 * one synchronous step, so it is atomic like the Lua script it mirrors (`register-tasks`, `publish-runs`,
 * `reclaim-runs`).
 */
export class MemorySchedule implements SchedulePort {
  constructor(private readonly store: MemoryStore) {}

  /** A task already scheduled with the same signature keeps its slot; a deleted dynamic task is not put back. */
  async register(entries: ScheduleEntry[]): Promise<number> {
    const { schedule, signatures, dynamic } = this.store;
    let changed = 0;
    for (const { taskId, signature, firstSlot, dynamic: isDynamic } of entries) {
      if (isDynamic && !dynamic.has(taskId)) continue;
      if (signatures.get(taskId) !== signature) {
        schedule.set(taskId, firstSlot);
        signatures.set(taskId, signature);
        changed++;
      } else if (!schedule.has(taskId)) {
        schedule.set(taskId, firstSlot);
        changed++;
      }
    }
    return changed;
  }

  async count(): Promise<number> {
    return this.store.schedule.size;
  }

  async fetchDue(nowMs: number, limit: number): Promise<DueItem[]> {
    const due: DueItem[] = this.store.schedule.upTo(nowMs, limit).map(({ member, score }) => ({
      source: 'scheduled',
      taskId: member,
      slot: score,
      rawScore: String(score),
    }));
    for (const { member } of this.store.oneOff.upTo(nowMs, limit)) {
      const [taskId, slot, attempt, kind] = JSON.parse(member) as [string, number, number, RunKind];
      due.push({ source: 'oneOff', taskId, slot, attempt, kind, member });
    }
    return due;
  }

  async peekEarliest(): Promise<number | null> {
    return this.earliest();
  }

  /**
   * Fenced, compare-and-set publish with the gates: a scheduled item publishes only while its score is the
   * one read (else `moved`), and advances to its next slot; `disabled` and `backoff` skip the runs,
   * allowParallel false skips them while the task's `inflight` run still exists (`busy`; a one-off run is
   * `deferred` by a second).
   */
  async publish(token: string, nowMs: number, items: PublishItem[]): Promise<PublishResult> {
    if (this.store.leaderToken() !== token) throw new LeadershipLostError();
    const statuses = items.map((item) =>
      item.due.source === 'scheduled'
        ? this.publishScheduled(item, item.due.rawScore, nowMs)
        : this.publishOneOff(item, item.due.member, nowMs),
    );
    return { statuses, earliestDue: this.earliest() };
  }

  private publishScheduled(item: PublishItem, expected: string, nowMs: number): PublishStatus {
    const { taskId } = item.due;
    const score = this.store.schedule.score(taskId);
    if (score === undefined || String(score) !== expected) return 'moved';
    const state = this.store.tasks.get(taskId);
    let status: PublishStatus;
    if (state?.disabled) status = 'disabled';
    else if (state?.retryAfter !== undefined && state.retryAfter > nowMs) status = 'backoff';
    else if (item.slots.length === 0) status = 'skipped';
    else {
      status = 'published';
      for (const [i, slot] of item.slots.entries()) {
        if (!item.allowParallel && this.inflightAlive(taskId)) {
          if (i === 0) status = 'busy';
          break;
        }
        this.enqueue(item, slot);
      }
    }
    this.store.schedule.set(taskId, item.nextSlot);
    return status;
  }

  private publishOneOff(item: PublishItem, member: string, nowMs: number): PublishStatus {
    const { oneOff } = this.store;
    const { taskId } = item.due;
    if (!oneOff.has(member)) return 'moved';
    if (item.slots.length === 0) {
      oneOff.delete(member);
      return 'skipped';
    }
    if (this.store.tasks.get(taskId)?.disabled) {
      oneOff.delete(member);
      return 'disabled';
    }
    if (!item.allowParallel && this.inflightAlive(taskId)) {
      oneOff.set(member, nowMs + 1000);
      return 'deferred';
    }
    oneOff.delete(member);
    this.enqueue(item, item.slots[0]);
    return 'published';
  }

  private enqueue(item: PublishItem, slot: number): void {
    const { taskId } = item.due;
    const id = this.store.enqueue(item.highPriority, { taskId, slot, attempt: item.attempt, kind: item.kind });
    if (!item.allowParallel) this.store.state(taskId).inflight = runTag(item.highPriority, id);
  }

  /** Whether the task's in-flight run still exists; a mark whose run vanished is cleared (self-healing). */
  private inflightAlive(taskId: string): boolean {
    const state = this.store.tasks.get(taskId);
    const inflight = state?.inflight;
    if (!state || inflight === undefined) return false;
    if (this.store.stream(inflight.startsWith('h|')).has(inflight.slice(2))) return true;
    delete state.inflight;
    this.store.compactState(taskId);
    return false;
  }

  /**
   * Fenced recovery: every delivered run not touched for `leaseTtlMs` (its owner stopped renewing it) is
   * re-published as a new message, and its task's `inflight` mark follows it. Returns the task ids.
   */
  async reclaimExpired(token: string, leaseTtlMs: number, limit: number): Promise<string[]> {
    const now = this.store.now();
    if (this.store.leaderToken(now) !== token) throw new LeadershipLostError();
    const reclaimed: string[] = [];
    for (const stream of [this.store.high, this.store.normal]) {
      const expired = [...stream.pending.values()]
        .filter((delivery) => now - delivery.touchedAt >= leaseTtlMs)
        .sort((a, b) => compareIds(a.entry.id, b.entry.id))
        .slice(0, limit);
      for (const { entry } of expired) {
        const { id: oldId, ...run } = entry;
        stream.remove(oldId);
        const newId = this.store.enqueue(stream.highPriority, run);
        const state = this.store.tasks.get(run.taskId);
        if (state?.inflight === runTag(stream.highPriority, oldId)) {
          state.inflight = runTag(stream.highPriority, newId);
        }
        reclaimed.push(run.taskId);
      }
    }
    return reclaimed;
  }

  /** The run queues exist from here on (they are recreated after `clear`, like missing consumer groups). */
  async ensureGroups(): Promise<void> {
    this.store.groupsExist = true;
  }

  private earliest(): number | null {
    const scores = [this.store.schedule.first()?.score, this.store.oneOff.first()?.score].filter(
      (score) => score !== undefined,
    );
    return scores.length > 0 ? Math.min(...scores) : null;
  }
}

/** Orders `<ms>-<seq>` ids. */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am - bm || as - bs;
}
