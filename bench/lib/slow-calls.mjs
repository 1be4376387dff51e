// The longest single Redis calls over a stretch of time (issue 14: "longest single Redis call during a
// burst"), from two sources of the server: SLOWLOG with a low threshold (every call at least that long, with
// its command and µs) and the latency monitor (LATENCY LATEST: the longest "command" / "fast-command" event,
// in ms). Both are reset when the watch starts and the server's settings are put back when it ends.

/** Harness commands, left out of the slow calls. */
const HARNESS = new Set(['config', 'slowlog', 'latency', 'info', 'flushall']);

/**
 * Starts watching: sets slowlog-log-slower-than to `thresholdUs`, slowlog-max-len to `maxLen` and
 * latency-monitor-threshold to 1 ms, and resets both logs. Returns `stop(names)`, which reads them, puts the
 * settings back and returns `{ thresholdUs, maxUsec, maxCommand, overThreshold, overflowed, top, latencyMaxMs }`.
 * `names` maps script sha1 → name (for EVALSHA).
 */
export async function watchSlowCalls(redis, { thresholdUs = 1000, maxLen = 20_000 } = {}) {
  const get = async (name) => (await redis.config('GET', name))[1];
  const saved = {
    'slowlog-log-slower-than': await get('slowlog-log-slower-than'),
    'slowlog-max-len': await get('slowlog-max-len'),
    'latency-monitor-threshold': await get('latency-monitor-threshold'),
  };
  await redis.config('SET', 'slowlog-max-len', maxLen);
  await redis.config('SET', 'slowlog-log-slower-than', thresholdUs);
  await redis.config('SET', 'latency-monitor-threshold', 1);
  await redis.slowlog('RESET');
  await redis.call('LATENCY', 'RESET');
  return async function stop(names = {}) {
    await redis.config('SET', 'slowlog-log-slower-than', saved['slowlog-log-slower-than']);
    const entries = await redis.slowlog('GET', -1);
    const latest = await redis.call('LATENCY', 'LATEST');
    for (const [name, value] of Object.entries(saved)) await redis.config('SET', name, value);
    await redis.slowlog('RESET');
    await redis.call('LATENCY', 'RESET');
    const all = [];
    for (const [, , micros, args, , clientName] of entries) {
      const command = String(args[0]).toLowerCase();
      if (HARNESS.has(command)) continue;
      const name = command === 'evalsha' ? `evalsha ${names[String(args[1])] ?? String(args[1]).slice(0, 8)}` : command;
      // A command run by a script is logged by the script client, which has no name (every connection of the
      // systems under test and of the harness has one): its time is inside its script's.
      all.push({ command: name, usec: Number(micros), inScript: !clientName });
    }
    all.sort((a, b) => b.usec - a.usec);
    const calls = all.some((c) => !c.inScript) ? all.filter((c) => !c.inScript) : all;
    // Latency events: [event, last time, latest ms, max ms]; "command" and "fast-command" are command runs.
    const events = (latest ?? []).filter(([event]) => event === 'command' || event === 'fast-command');
    return {
      thresholdUs,
      maxUsec: calls[0]?.usec ?? null,
      maxCommand: calls[0]?.command ?? null,
      overThreshold: calls.length,
      insideScripts: all.length - calls.length,
      overflowed: entries.length >= maxLen,
      top: calls.slice(0, 5),
      latencyMaxMs: events.length ? Math.max(...events.map((e) => Number(e[3]))) : null,
    };
  };
}
