/**
 * A sorted set like a Redis ZSET: members ordered by score, then by member. Lookups are O(1); inserts,
 * updates and removals keep a sorted array up to date (binary search + splice), so range reads from the
 * lowest score are O(log n + k) and the earliest entry is O(1).
 */
export class MemorySortedSet {
  private readonly scores = new Map<string, number>();
  private readonly order: Array<{ member: string; score: number }> = [];

  get size(): number {
    return this.scores.size;
  }

  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  has(member: string): boolean {
    return this.scores.has(member);
  }

  /** Adds or moves `member`; returns true when it was not there before. */
  set(member: string, score: number): boolean {
    const previous = this.scores.get(member);
    if (previous === score) return false;
    if (previous !== undefined) this.order.splice(this.insertionPoint(member, previous), 1);
    this.scores.set(member, score);
    this.order.splice(this.insertionPoint(member, score), 0, { member, score });
    return previous === undefined;
  }

  delete(member: string): boolean {
    const previous = this.scores.get(member);
    if (previous === undefined) return false;
    this.order.splice(this.insertionPoint(member, previous), 1);
    this.scores.delete(member);
    return true;
  }

  /** The entry with the lowest score, if any. */
  first(): { member: string; score: number } | undefined {
    return this.order[0];
  }

  /** Entries with a score <= `max`, lowest first, at most `limit`. */
  upTo(max: number, limit = Infinity): Array<{ member: string; score: number }> {
    const result: Array<{ member: string; score: number }> = [];
    for (const entry of this.order) {
      if (entry.score > max || result.length >= limit) break;
      result.push(entry);
    }
    return result;
  }

  /** Every entry, lowest score first. */
  entries(): Array<{ member: string; score: number }> {
    return [...this.order];
  }

  clear(): void {
    this.scores.clear();
    this.order.length = 0;
  }

  /** Index of the first entry that does not sort before (score, member). */
  private insertionPoint(member: string, score: number): number {
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const entry = this.order[mid];
      if (entry.score < score || (entry.score === score && entry.member < member)) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
