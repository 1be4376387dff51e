// Shared by the worker processes: the IPC command loop, the run recorder and process usage.
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';

/** Wall-clock now in ms with sub-millisecond resolution. */
export const now = () => performance.timeOrigin + performance.now();

/** When this process started (ms, wall clock). */
export const processStart = performance.timeOrigin;

/** The worker's configuration, from the harness. */
export const config = JSON.parse(process.env.BENCH_CONFIG ?? '{}');

/** Sends an unsolicited event to the harness. */
export function emit(event) {
  if (process.connected) process.send({ ...event, pid: process.pid, t: Date.now() });
}

/**
 * Records executions: task index, slot (ms) and handler start (ms). Grows typed arrays, so recording
 * costs a few nanoseconds and nothing is printed.
 */
export class Recorder {
  constructor(capacity = 1 << 16) {
    this.n = 0;
    this.idx = new Int32Array(capacity);
    this.slot = new Float64Array(capacity);
    this.start = new Float64Array(capacity);
  }

  record(index, slot, start) {
    if (this.n === this.idx.length) {
      const grow = (a, C) => {
        const b = new C(a.length * 2);
        b.set(a);
        return b;
      };
      this.idx = grow(this.idx, Int32Array);
      this.slot = grow(this.slot, Float64Array);
      this.start = grow(this.start, Float64Array);
    }
    this.idx[this.n] = index;
    this.slot[this.n] = slot;
    this.start[this.n] = start;
    this.n++;
  }

  /** Everything recorded since the last drain, then forgets it. */
  drain() {
    const out = {
      idx: this.idx.slice(0, this.n),
      slot: this.slot.slice(0, this.n),
      start: this.start.slice(0, this.n),
    };
    this.n = 0;
    return out;
  }
}

/** CPU and memory of this process. */
export function usage() {
  const mem = process.memoryUsage();
  return {
    t: Date.now(),
    cpu: process.cpuUsage(),
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    maxRss: process.resourceUsage().maxRSS,
  };
}

/**
 * Serves the harness's commands: `handlers[cmd](args)` (may be async); `usage` and `ping` are built in.
 * `stop` calls `handlers.stop` and exits 0.
 */
export function serve(handlers) {
  process.on('message', async (message) => {
    const { id, cmd, args } = message ?? {};
    const reply = (payload) => {
      if (id !== 0 && process.connected) process.send({ type: 'reply', id, ...payload });
    };
    try {
      if (cmd === 'stop') {
        const timer = setTimeout(() => process.exit(0), 10_000);
        timer.unref();
        await handlers.stop?.();
        process.exit(0);
      }
      if (cmd === 'usage') return reply({ result: usage() });
      if (cmd === 'profileStart') return reply({ result: await profileStart(args.intervalUs) });
      if (cmd === 'profileStop') return reply({ result: await profileStop() });
      if (cmd === 'ping') return reply({ result: 'pong' });
      const handler = handlers[cmd];
      if (!handler) throw new Error(`unknown command ${cmd}`);
      reply({ result: await handler(args ?? {}) });
    } catch (error) {
      reply({ error: error?.stack ?? String(error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

let profiler;

/** Starts a V8 CPU profile of this process (inspector), for the measurement window only. */
async function profileStart(intervalUs = 1000) {
  profiler = new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await profiler.post('Profiler.start');
  return true;
}

/** Stops the profile started by profileStart and returns it (.cpuprofile format). */
async function profileStop() {
  const { profile } = await profiler.post('Profiler.stop');
  profiler.disconnect();
  profiler = undefined;
  return profile;
}
