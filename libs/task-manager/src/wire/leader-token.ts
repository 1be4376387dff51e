/**
 * The leader lease's value and fencing token `<workerId>|<epoch>` (e.g. `api-1:42:ab12|7`): the worker
 * holding the lease and the epoch of its acquisition. A worker id may itself contain `|`; the epoch is what
 * follows the last one. Lua: acquire-leader-2.lua writes it; the other fenced scripts compare it whole.
 */
export function leaderToken(workerId: string, epoch: number): string {
  return `${workerId}|${epoch}`;
}

/** The holder and epoch of a token. */
export function parseLeaderToken(token: string): { workerId: string; epoch: number } {
  const bar = token.lastIndexOf('|');
  return { workerId: token.slice(0, bar), epoch: Number(token.slice(bar + 1)) };
}

/**
 * The epoch of `token` when it is a lease of `workerId` (it starts with `<workerId>|`, as acquire-leader
 * checks it), else undefined.
 */
export function ownEpoch(token: string, workerId: string): number | undefined {
  const prefix = `${workerId}|`;
  return token.startsWith(prefix) ? Number(token.slice(prefix.length)) : undefined;
}
