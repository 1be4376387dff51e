/**
 * The server's time in ms from a Redis TIME reply `[seconds, microseconds]` (the one clock of the cluster;
 * sub-millisecond part dropped). Lua: includes/server-time.lua.
 */
export function serverTimeMs(time: ReadonlyArray<string | number>): number {
  const [seconds, micros] = time;
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
