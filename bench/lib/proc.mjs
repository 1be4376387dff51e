// Worker processes of the systems under test, driven over IPC by the harness.
import { execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const WORKERS = {
  ours: fileURLToPath(new URL('../workers/ours-app.mjs', import.meta.url)),
  bullmq: fileURLToPath(new URL('../workers/bullmq-app.mjs', import.meta.url)),
  cron: fileURLToPath(new URL('../workers/cron-app.mjs', import.meta.url)),
};

const live = new Set();
process.once('exit', () => {
  for (const w of live) w.child.kill('SIGKILL');
});

/** One worker process (ours, bullmq or cron) with a request/response channel and an event log. */
export class WorkerProc {
  /**
   * @param {'ours'|'bullmq'|'cron'} kind
   * @param {object} config passed as BENCH_CONFIG
   * @param {{ execArgv?: string[], label?: string }} [opts]
   */
  constructor(kind, config, opts = {}) {
    this.kind = kind;
    this.label = opts.label ?? kind;
    this.spawnedAt = Date.now();
    this.events = [];
    this.listeners = new Set();
    this.pending = new Map();
    this.nextId = 1;
    this.output = '';
    this.exited = false;
    this.child = fork(WORKERS[kind], [], {
      env: { ...process.env, BENCH_CONFIG: JSON.stringify(config), NO_COLOR: '1' },
      execArgv: opts.execArgv ?? [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    live.add(this);
    const log = (chunk) => {
      this.output = (this.output + chunk).slice(-20_000);
    };
    this.child.stdout.on('data', log);
    this.child.stderr.on('data', log);
    this.child.on('message', (message) => this.onMessage(message));
    this.exitPromise = once(this.child, 'exit').then(([code, signal]) => {
      this.exited = true;
      this.exitCode = code;
      this.exitSignal = signal;
      live.delete(this);
      for (const { reject } of this.pending.values()) reject(new Error(`${this.label} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  get pid() {
    return this.child.pid;
  }

  onMessage(message) {
    if (message?.type === 'reply') {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new Error(`${this.label}: ${message.error}`));
      else waiter.resolve(message.result);
      return;
    }
    this.events.push(message);
    for (const listener of this.listeners) listener(message);
  }

  /** Sends a command; resolves with the worker's reply. */
  request(cmd, args = {}, timeoutMs = 60_000) {
    if (this.exited) return Promise.reject(new Error(`${this.label} has exited`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.label}: no reply to ${cmd} within ${timeoutMs} ms\n${this.output.slice(-2000)}`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.send({ id, cmd, args });
    });
  }

  /** Resolves with the first event (past or future) matching `predicate`. */
  waitEvent(predicate, timeoutMs = 30_000, what = 'event') {
    const past = this.events.find(predicate);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`${this.label}: timed out waiting for ${what}\n${this.output.slice(-3000)}`));
      }, timeoutMs);
      timer.unref();
      const listener = (event) => {
        if (!predicate(event)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(event);
      };
      this.listeners.add(listener);
      this.exitPromise.then(() => {
        if (!this.listeners.has(listener)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        reject(
          new Error(
            `${this.label} exited (${this.exitCode ?? this.exitSignal}) before ${what}\n${this.output.slice(-3000)}`,
          ),
        );
      });
    });
  }

  ready(timeoutMs = 120_000) {
    return this.waitEvent((e) => e.type === 'ready', timeoutMs, 'ready');
  }

  /** CPU (µs) and memory of the process right now. */
  usage() {
    return this.request('usage');
  }

  kill(signal = 'SIGKILL') {
    if (!this.exited) this.child.kill(signal);
  }

  /** Asks the process to shut down cleanly; kills it after `timeoutMs`. */
  async stop(timeoutMs = 15_000) {
    if (this.exited) return;
    try {
      this.child.send({ id: 0, cmd: 'stop', args: {} });
    } catch {
      // already gone
    }
    const timedOut = sleep(timeoutMs, undefined, { ref: false }).then(() => 'timeout');
    if ((await Promise.race([this.exitPromise, timedOut])) === 'timeout') {
      this.kill('SIGKILL');
      await this.exitPromise;
    }
  }
}

/** CPU % and memory between two `usage()` readings of one process. */
export function usageDelta(before, after) {
  const cpuMicros = after.cpu.user + after.cpu.system - (before.cpu.user + before.cpu.system);
  const wallMs = after.t - before.t;
  return {
    cpuPercent: Math.round((cpuMicros / 1000 / wallMs) * 1000) / 10,
    rssMB: Math.round((after.rss / 1048576) * 10) / 10,
    maxRssMB: Math.round((after.maxRss / 1024) * 10) / 10,
    heapUsedMB: Math.round((after.heapUsed / 1048576) * 10) / 10,
  };
}

let clockTicks;

/**
 * CPU time (user + system, µs) a process has used so far, read by the harness from /proc/<pid>/stat (so a
 * busy worker's event loop does not delay the reading); null off Linux or once the process is gone.
 */
export function procCpuMicros(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    clockTicks ??= ticksPerSecond();
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1e6;
  } catch {
    return null;
  }
}

function ticksPerSecond() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
