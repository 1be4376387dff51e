/**
 * The order of the partitions for one pass of a run queue's read (both drivers): every partition in turn, from
 * a start that moves on by one at each pass, so that no partition's runs wait behind another's.
 */
export class RotatingStart {
  private next = 0;

  /** `parts` from this pass's start; the next pass starts one further. */
  order<T>(parts: readonly T[]): T[] {
    const first = this.next % parts.length;
    this.next = (first + 1) % parts.length;
    return parts.map((_, k) => parts[(first + k) % parts.length]);
  }
}
