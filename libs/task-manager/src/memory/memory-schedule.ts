import type {
  DueItem,
  PendingRunCounts,
  PublishItem,
  PublishResult,
  PublishStatus,
  ReclaimOptions,
  ReclaimResult,
  RunMessage,
  ScheduleEntry,
  SchedulePort,
} from '../engine/coordination.port.js';
import { LeadershipLostError } from '../errors/leadership-lost.error.js';
import { definitionVersion } from '../registry/dynamic-task.js';
import { toRunMessage, type MemoryDelivery, type MemoryStore, type MemoryStream } from './memory-store.js';
import { decodeOneOffEntry } from '../wire/one-off-entry.js';
import { parseRunTag, runTag } from '../wire/run-tag.js';

/** The consumer that holds runs the leader gave up (like the Redis driver's `<group>:reclaimer`). */
const RECLAIMER = 'reclaimer';

/**
 * The schedule, the one-off queue and the leader's publish / reclaim steps, in memory. Each operation is
 * one synchronous step, so it is atomic like the Lua script it mirrors (`register-tasks`, `publish-runs`,
 * `reclaim-runs`).
 */
export class MemorySchedule implements SchedulePort {
  constructor(private readonly store: MemoryStore) {}

  /**
   * A task already scheduled with the same signature keeps its slot; a deleted dynamic task is not put back,
   * nor one whose stored definition is not the version the entry was computed from.
   */
  async register(entries: ScheduleEntry[]): Promise<number> {
    const { schedule, signatures, dynamic } = this.store;
    let changed = 0;
    for (const { taskId, signature, firstSlot, dynamic: isDynamic, version, disabled } of entries) {
      const definition = dynamic.get(taskId);
      if (isDynamic && (definition === undefined || (version && definitionVersion(definition) !== version))) continue;
      // A task never registered before that is declared disabled starts disabled; one seen before keeps its state.
      if (!signatures.has(taskId) && disabled) this.store.state(taskId).disabled = true;
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

  async pendingRuns(): Promise<PendingRunCounts> {
    const of = (stream: MemoryStream) => ({ queued: stream.queued.size, delivered: stream.pending.size });
    return { high: of(this.store.high), normal: of(this.store.normal) };
  }

  async fetchDue(nowMs: number, limit: number): Promise<DueItem[]> {
    const due: DueItem[] = this.store.schedule.upTo(nowMs, limit).map(({ member, score }) => ({
      source: 'scheduled',
      taskId: member,
      slot: score,
      rawScore: String(score),
    }));
    for (const { member } of this.store.oneOff.upTo(nowMs, limit)) {
      const entry = decodeOneOffEntry(member);
      if (entry) due.push({ source: 'oneOff', ...entry, member });
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
        ? this.publishScheduled(item, item.due.rawScore)
        : this.publishOneOff(item, item.due.member, nowMs),
    );
    return { statuses, earliestDue: this.earliest() };
  }

  /** The retry backoff gates slots: only slots at or after the task's `retryAfter` run (see `publish-runs`). */
  private publishScheduled(item: PublishItem, expected: string): PublishStatus {
    const { taskId } = item.due;
    const score = this.store.schedule.score(taskId);
    if (score === undefined || String(score) !== expected) return 'moved';
    const state = this.store.tasks.get(taskId);
    const retryAfter = state?.retryAfter ?? 0;
    const slots = item.slots.filter((slot) => slot >= retryAfter);
    let status: PublishStatus;
    if (state?.disabled) status = 'disabled';
    else if (item.slots.length === 0) status = 'skipped';
    else if (slots.length === 0) status = 'backoff';
    else {
      status = 'published';
      for (const [i, slot] of slots.entries()) {
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
    const kwargs = item.due.source === 'oneOff' ? item.due.kwargs : undefined;
    const id = this.store.enqueue(item.highPriority, {
      taskId,
      slot,
      attempt: item.attempt,
      kind: item.kind,
      ...(kwargs ? { kwargs } : {}),
    });
    if (!item.allowParallel) this.store.state(taskId).inflight = runTag(item.highPriority, id);
  }

  /** Whether the task's in-flight run still exists; a mark whose run vanished is cleared (self-healing). */
  private inflightAlive(taskId: string): boolean {
    const state = this.store.tasks.get(taskId);
    const inflight = state?.inflight;
    if (!state || inflight === undefined) return false;
    const { highPriority, messageId } = parseRunTag(inflight);
    if (this.store.stream(highPriority).has(messageId)) return true;
    delete state.inflight;
    this.store.compactState(taskId);
    return false;
  }

  /**
   * Fenced recovery (once something is pending: a sweep from the start with nothing pending answers nothing,
   * whoever asks, as the Redis driver's does without reading the lease): delivered runs not touched for
   * `leaseTtlMs` (their owner stopped renewing them) are
   * re-published as new messages, and their task's `inflight` mark follows. Like XAUTOCLAIM, each priority's
   * pending runs are scanned in id order from its cursor (inclusive), at most `limit` re-published; the
   * returned cursor is the next run to look at, `'0-0'` once the scan reached the end.
   */
  async reclaimExpired(
    token: string,
    { leaseTtlMs, limit, cursor = { high: '0-0', normal: '0-0' }, maxDeliveries }: ReclaimOptions,
  ): Promise<ReclaimResult> {
    const now = this.store.now();
    // (Like the Redis driver's pre-check: a sweep from the start with nothing pending answers nothing, unfenced.)
    const fromStart = cursor.high === '0-0' && cursor.normal === '0-0';
    if (fromStart && this.store.high.pending.size === 0 && this.store.normal.pending.size === 0) {
      return { taskIds: [], cursor, exhausted: [] };
    }
    if (this.store.leaderToken(now) !== token) throw new LeadershipLostError();
    const reclaimed: string[] = [];
    const exhausted: RunMessage[] = [];
    const next = { high: '0-0', normal: '0-0' };
    for (const stream of [this.store.high, this.store.normal]) {
      const scan = inIdOrder(stream.pending.values(), stream.highPriority ? cursor.high : cursor.normal);
      let claimed = 0;
      for (const [index, delivery] of scan.entries()) {
        if (claimed >= limit) {
          next[stream.highPriority ? 'high' : 'normal'] = scan[index].entry.id;
          break;
        }
        const { entry } = delivery;
        if (now - delivery.touchedAt < leaseTtlMs) continue;
        claimed++;
        const deliveries = (entry.reclaims ?? 0) + 1;
        if (deliveries >= maxDeliveries) {
          // Left pending on the reclaimer, for the leader to record as failed.
          delivery.consumer = RECLAIMER;
          delivery.touchedAt = now;
          exhausted.push({ ...toRunMessage(entry, stream.highPriority), deliveries });
          continue;
        }
        const { id: oldId, ...run } = entry;
        stream.remove(oldId);
        const newId = this.store.enqueue(stream.highPriority, { ...run, reclaims: deliveries });
        const state = this.store.tasks.get(run.taskId);
        if (state?.inflight === runTag(stream.highPriority, oldId)) {
          state.inflight = runTag(stream.highPriority, newId);
        }
        reclaimed.push(run.taskId);
      }
    }
    return { taskIds: reclaimed, exhausted, cursor: next };
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

/**
 * The deliveries whose id is `from` or later, in id order (`<ms>-<seq>`). Each id is read once: the sort
 * compares numbers, not strings split at every comparison.
 */
function inIdOrder(deliveries: Iterable<MemoryDelivery>, from: string): MemoryDelivery[] {
  const [fromMs, fromSeq] = idParts(from);
  const keyed: Array<{ ms: number; seq: number; delivery: MemoryDelivery }> = [];
  for (const delivery of deliveries) {
    const [ms, seq] = idParts(delivery.entry.id);
    if (ms > fromMs || (ms === fromMs && seq >= fromSeq)) keyed.push({ ms, seq, delivery });
  }
  return keyed.sort((a, b) => a.ms - b.ms || a.seq - b.seq).map(({ delivery }) => delivery);
}

/** The two numbers of a `<ms>-<seq>` id. */
function idParts(id: string): [number, number] {
  const dash = id.indexOf('-');
  return [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
}
