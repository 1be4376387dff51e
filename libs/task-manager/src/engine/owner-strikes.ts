/**
 * Which declared task sets a partition's sweep may forget (both drivers: one contract). A set's owner missing
 * from the live workers is forgotten (its pointer dropped) only when it was missing at the previous step of
 * the same leader term too: the live workers are read outside the partition's atomic step, so a worker may
 * announce itself and declare between the two. A new term forgets nothing at its first step.
 */
export class OwnerStrikes {
  private previous?: { token: string; missing: Set<string> };

  /** The owners to forget at this step of term `token`; the others missing get their second strike next step. */
  forget(token: string, owners: Iterable<string>, live: Iterable<string>): string[] {
    const alive = new Set(live);
    const missing = new Set([...owners].filter((owner) => !alive.has(owner)));
    const before = this.previous?.token === token ? this.previous.missing : new Set<string>();
    const forgotten = [...missing].filter((owner) => before.has(owner));
    for (const owner of forgotten) missing.delete(owner);
    this.previous = { token, missing };
    return forgotten;
  }
}
