// Chaos soak of nestjs-task-manager: a private redis-server, 3-5 real application processes
// (test/fixtures/cluster-worker.mjs in HTTP mode with the MIX task group), a random fault every few seconds,
// and an analysis of every execution per (task, slot) read from the processes' event side channel.
//
// Used by `npm run soak` (soak/run.mjs, 10 minutes by default) and by the 60-second variant inside
// `npm test` (test/reliability/soak-short.e2e-spec.ts). Plain JavaScript: it runs without a build step and
// drives the built library through the worker fixture, exactly as a user's application would.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

const root = fileURLToPath(new URL('..', import.meta.url));
const workerScript = fileURLToPath(new URL('../test/fixtures/cluster-worker.mjs', import.meta.url));

/** Module options of every instance: 1 s heartbeats (leases of 3 s), reconciliation every 5 s. */
export const SOAK_OPTIONS = {
  leaderHeartbeatInterval: 1,
  leaderRetryInterval: 1,
  runningHeartbeatInterval: 1,
  reconciliationInterval: 5,
  concurrentTasks: 10,
  statisticsHistoryRuns: 50,
  misfireToleranceMs: 5000,
  shutdownTimeoutMs: 3000,
};

/** Default settings of a soak run. */
export const SOAK_DEFAULTS = {
  minutes: 10,
  instances: 4,
  tasks: 500,
  /** Pause between two faults, drawn uniformly in [min, max] ms. */
  faultEveryMs: [5000, 20000],
  /** Slots due in the first ms after every instance is ready are not analysed. */
  warmupMs: 15000,
  /** Include high-priority tasks in the mix. */
  highPriority: true,
  /** Duration of the long tasks (ms). */
  longMs: [15000, 25000],
  /**
   * Last part of the run without faults nor analysed slots, so that the last runs (long ones included)
   * finish before the instances stop. Default: the longest long task + 10 s.
   */
  tailMs: undefined,
  /**
   * A completion whose worker is SIGKILLed within this many ms after its end may have died before its
   * outcome was recorded: its run is legitimately executed again elsewhere (see Cluster.slotReport).
   */
  killGraceMs: 1000,
  /** No fault starts later than this before the tail (a fault itself lasts a few seconds). */
  faultMarginMs: 10000,
  /** Fault kinds, dealt from a shuffled deck so that every kind occurs once per round. */
  faults: ['kill-leader', 'kill-random', 'freeze-leader', 'redis-restart', 'flushall', 'dynamic', 'dynamic'],
  options: SOAK_OPTIONS,
};

// ---------------------------------------------------------------------------------------------------------
// Small utilities

/** Seeded PRNG (mulberry32), so that a run can be replayed with --seed. */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    shuffle: (list) => {
      const copy = [...list];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [copy[i], copy[j]] = [copy[j], copy[i]];
      }
      return copy;
    },
  };
}

async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function findBinary(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  throw new Error(`${name} not found on PATH (apt-get install -y redis-server)`);
}

/** Resident set size of a process in bytes, or undefined when it is gone. */
function rssOf(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const percentile = (sorted, p) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const round = (n, digits = 0) => (n === null || n === undefined ? null : Number(n.toFixed(digits)));
const mb = (bytes) => (bytes === undefined || bytes === null ? null : round(bytes / 1048576, 1));

// ---------------------------------------------------------------------------------------------------------
// The task mix

/**
 * The task mix for about `total` tasks (500 by default): per-second and per-minute schedules, normal and
 * high priority, allowParallel false, failing tasks with backoff (and retries), long tasks. Returns the
 * MIX entries of the worker fixture and, per task name, its cron expression and category.
 */
export function buildMix(total = 500, longMs = [15000, 25000], highPriority = true) {
  const scale = total / 500;
  const n = (x) => Math.max(1, Math.round(x * scale));
  const spread = (count) => Array.from({ length: count }, (_, i) => `${Math.floor((i * 60) / count)} * * * * *`);
  const entries = [
    { name: 'sec', category: 'per-second', crons: ['* * * * * *'], count: n(60), ms: [5, 60] },
    { name: 'hsec', category: 'per-second', crons: ['* * * * * *'], count: n(10), ms: [5, 60], highPriority: true },
    { name: 'min', category: 'per-minute', crons: spread(60), count: n(6), ms: [5, 100] },
    { name: 'hmin', category: 'per-minute', crons: spread(n(30)), count: 1, ms: [5, 100], highPriority: true },
    {
      name: 'serial',
      category: 'serial',
      crons: ['*/2 * * * * *'],
      count: n(10),
      ms: [2500, 3500],
      allowParallel: false,
    },
    {
      name: 'fail',
      category: 'failing',
      crons: ['* * * * * *'],
      count: n(10),
      ms: [5, 30],
      failRate: 1,
      retryBackoff: 1,
      retryBackoffMax: 8,
    },
    {
      name: 'flaky',
      category: 'failing',
      crons: ['*/2 * * * * *'],
      count: n(10),
      ms: [5, 30],
      failRate: 0.3,
      retryBackoff: 1,
      retryBackoffMax: 4,
      maxAttempts: 2,
    },
    { name: 'long', category: 'long', crons: spread(n(10)), count: 1, ms: longMs },
  ];
  if (!highPriority) for (const entry of entries) delete entry.highPriority;
  const tasks = new Map();
  for (const entry of entries) {
    const several = entry.crons.length * entry.count > 1;
    let index = 0;
    for (const cron of entry.crons) {
      for (let k = 0; k < entry.count; k++) {
        index++;
        tasks.set(several ? `${entry.name}#${index}` : entry.name, {
          cron,
          category: entry.category,
          entry: entry.name,
          highPriority: entry.highPriority ?? false,
          retryBackoff: entry.retryBackoff,
          retryBackoffMax: entry.retryBackoffMax,
        });
      }
    }
  }
  return { entries: entries.map(({ category: _category, ...rest }) => rest), tasks };
}

/** Slots (ms) of a 6-field cron expression whose fields after the first are `*`, in [from, to]. */
export function slotsOf(cron, from, to) {
  const [seconds, ...rest] = cron.trim().split(/\s+/);
  if (rest.length !== 5 || rest.some((f) => f !== '*')) throw new Error(`unsupported soak cron "${cron}"`);
  const matches =
    seconds === '*'
      ? () => true
      : seconds.startsWith('*/')
        ? (s) => s % Number(seconds.slice(2)) === 0
        : (s) => s === Number(seconds);
  const slots = [];
  for (let t = Math.ceil(from / 1000) * 1000; t <= to; t += 1000) {
    if (matches(new Date(t).getUTCSeconds())) slots.push(t);
  }
  return slots;
}

// ---------------------------------------------------------------------------------------------------------
// Redis server

async function startRedisServer() {
  const binary = findBinary('redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'ntm-soak-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child;
  const launch = async () => {
    const proc = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    );
    child = proc;
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      for (let i = 0; i < 200; i++) {
        if (proc.exitCode !== null) throw new Error(`redis-server exited (code ${proc.exitCode})`);
        try {
          await probe.connect();
          if ((await probe.ping()) === 'PONG') return;
        } catch {
          probe.disconnect();
        }
        await sleep(50);
      }
      throw new Error('redis-server did not answer');
    } finally {
      probe.disconnect();
    }
  };
  const stop = async (signal = 'SIGTERM') => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill(signal);
    await exited;
  };
  await launch();
  return {
    url,
    port,
    launch,
    stop,
    async dispose() {
      await stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Instances

class Instance {
  constructor(soak, slot) {
    this.soak = soak;
    this.slot = slot;
    this.startedAt = Date.now();
    this.readyAt = undefined;
    this.workerId = undefined;
    this.port = undefined;
    this.exited = false;
    this.exitCode = null;
    this.exitSignal = null;
    this.killedAt = undefined;
    this.frozen = false;
    this.stops = [];
    this.expectedExit = false;
    this.output = '';
    this.errorLines = [];
    this.logLines = [];
    this.warnLines = 0;
    this.rss = [];
    this.child = spawn(process.execPath, [workerScript], {
      cwd: root,
      env: {
        ...process.env,
        REDIS_URL: soak.redis.url,
        PREFIX: soak.prefix,
        TASKS: '0',
        HTTP_PORT: '0',
        MIX: JSON.stringify(soak.mix.entries),
        OPTIONS: JSON.stringify(soak.settings.options),
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid;
    let buffer = '';
    this.child.stdout.on('data', (chunk) => {
      buffer += chunk.toString();
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.startsWith('{')) {
          try {
            this.onEvent(JSON.parse(line));
            continue;
          } catch {
            // not an event
          }
        }
        this.log(line);
      }
    });
    this.child.stderr.on('data', (chunk) => {
      for (const line of chunk.toString().split('\n')) if (line) this.log(line);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      this.exitedAt = Date.now();
      this.exitCode = code;
      this.exitSignal = signal;
      if (!this.expectedExit)
        soak.crashes.push({ pid: this.pid, slot, code, signal, at: this.exitedAt, tail: this.output.slice(-2000) });
    });
  }

  log(line) {
    this.output = (this.output + line + '\n').slice(-20000);
    const level = /\bERROR\b/.test(line) ? 'ERROR' : /\bWARN\b/.test(line) ? 'WARN' : undefined;
    if (!level) return;
    const text = line.replace(/^.*?(ERROR|WARN)\s*/, '').slice(0, 300);
    if (level === 'ERROR') this.errorLines.push(text);
    else this.warnLines++;
    // Recent warnings and errors with their time, for the diagnostics of a duplicate or a missed slot.
    this.logLines.push({ t: Date.now(), level, text });
    if (this.logLines.length > 5000) this.logLines.splice(0, 1000);
  }

  onEvent(event) {
    const soak = this.soak;
    switch (event.type) {
      case 'ready':
        this.workerId = event.worker;
        this.port = event.port;
        this.readyAt = event.t;
        break;
      case 'run':
        if (event.group === 'Mix') soak.recordRun(event);
        break;
      case 'end':
        if (event.group === 'Mix') soak.recordEnd(event);
        break;
      case 'leader':
        soak.leaderEvents.push({ worker: event.worker, pid: event.pid, isLeader: event.isLeader, t: event.t });
        break;
      case 'health':
        soak.healthEvents.push({ worker: event.worker, pid: event.pid, healthy: event.healthy, t: event.t });
        break;
      case 'unhandledRejection':
        soak.unhandled.push({ pid: event.pid, reason: event.reason, t: event.t });
        break;
      default:
        break;
    }
  }

  get alive() {
    return !this.exited;
  }

  get base() {
    return `http://127.0.0.1:${this.port}/task-manager`;
  }

  signal(signal) {
    if (this.exited) return;
    if (signal === 'SIGKILL') {
      this.killedAt ??= Date.now();
      this.expectedExit = true;
    }
    if (signal === 'SIGSTOP') {
      this.frozen = true;
      this.stops.push({ at: Date.now(), until: Infinity });
    }
    if (signal === 'SIGCONT' && this.frozen) {
      this.frozen = false;
      this.stops.at(-1).until = Date.now();
    }
    this.child.kill(signal);
  }

  async ready(timeoutMs = 60000) {
    const deadline = Date.now() + timeoutMs;
    while (this.port === undefined) {
      if (this.exited) throw new Error(`instance ${this.pid} exited before ready:\n${this.output.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`instance ${this.pid} not ready in ${timeoutMs} ms`);
      await sleep(50);
    }
    return this;
  }

  sampleRss() {
    if (this.exited || this.frozen) return;
    const rss = rssOf(this.pid);
    if (rss !== undefined) this.rss.push({ t: Date.now(), rss });
  }
}

// ---------------------------------------------------------------------------------------------------------
// The soak

class Soak {
  constructor(settings, log) {
    this.settings = settings;
    this.log = log;
    this.random = prng(settings.seed);
    // The API probes draw from their own stream, so that the fault sequence depends on the seed only.
    this.probeRandom = prng(settings.seed ^ 0x5bd1e995);
    this.prefix = `soak-${settings.seed}`;
    this.mix = buildMix(settings.tasks, settings.longMs, settings.highPriority);
    this.instances = [];
    this.runs = new Map(); // `${pid}|${task}|${slot}|${attempt}` -> execution
    this.executions = [];
    this.leaderEvents = [];
    this.healthEvents = [];
    this.unhandled = [];
    this.crashes = [];
    this.faults = [];
    this.dynamic = new Map(); // name -> { cron, createdAt, deletedAt, wipedAt, via }
    this.dynamicCounter = 0;
    this.apiProbes = { total: 0, byStatus: {}, unexpected: [] };
    this.redisDown = [];
    this.redisMemory = [];
    this.backlog = [];
    this.httpErrors = [];
  }

  recordRun(event) {
    const key = `${event.pid}|${event.task}|${event.slot}|${event.attempt}`;
    const execution = {
      task: event.task,
      slot: event.slot,
      attempt: event.attempt,
      pid: event.pid,
      start: event.t,
      end: undefined,
      failed: undefined,
      aborted: undefined,
      dynamic: event.function === 'mixfn',
    };
    this.runs.set(key, execution);
    this.executions.push(execution);
  }

  recordEnd(event) {
    const execution = this.runs.get(`${event.pid}|${event.task}|${event.slot}|${event.attempt}`);
    if (!execution) return;
    execution.end = event.t;
    execution.failed = event.failed;
    execution.aborted = event.aborted;
  }

  live() {
    return this.instances.filter((i) => i.alive && !i.frozen && i.port !== undefined);
  }

  /** The live instance currently reporting leadership (last acquisition wins). */
  leader() {
    const state = new Map();
    for (const e of this.leaderEvents) state.set(e.pid, e);
    const claims = this.instances
      .filter((i) => i.alive && state.get(i.pid)?.isLeader)
      .sort((a, b) => state.get(b.pid).t - state.get(a.pid).t);
    return claims[0];
  }

  async waitForLeader(after, exclude, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = this.leaderEvents.find((e) => e.isLeader && e.t >= after && e.pid !== exclude);
      if (event) return event;
      if (Date.now() > deadline) return undefined;
      await sleep(20);
    }
  }

  async startInstance(slot) {
    const instance = new Instance(this, slot);
    this.instances.push(instance);
    return instance.ready();
  }

  async api(instance, method, path, body) {
    try {
      const res = await fetch(`${instance.base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
      const text = await res.text();
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      return { status: res.status, body: json };
    } catch (error) {
      return { status: 0, body: String(error) };
    }
  }

  // ----- faults

  async fault(kind) {
    const n = this.faults.length + 1;
    const record = { n, kind, at: Date.now() };
    this.faults.push(record);
    switch (kind) {
      case 'kill-leader':
      case 'kill-random': {
        const leader = this.leader();
        const target = kind === 'kill-leader' && leader ? leader : this.random.pick(this.live());
        if (!target) break;
        record.pid = target.pid;
        record.wasLeader = target === leader;
        record.at = Date.now();
        target.signal('SIGKILL');
        await sleep(this.random.int(0, 2000));
        const replacement = await this.startInstance(target.slot);
        record.restartedPid = replacement.pid;
        record.restartedAt = replacement.readyAt;
        if (record.wasLeader) {
          const next = await this.waitForLeader(record.at, target.pid);
          record.newLeaderAt = next?.t;
          record.failoverMs = next ? next.t - record.at : null;
        }
        break;
      }
      case 'freeze-leader': {
        const target = this.leader() ?? this.random.pick(this.live());
        if (!target) break;
        const leaseMs = this.settings.options.leaderHeartbeatInterval * 3000;
        const freezeMs = leaseMs + this.random.int(1000, 3000);
        record.pid = target.pid;
        record.wasLeader = target === this.leader();
        record.freezeMs = freezeMs;
        record.at = Date.now();
        target.signal('SIGSTOP');
        const next = this.waitForLeader(record.at, target.pid, freezeMs + 30000);
        await sleep(freezeMs);
        target.signal('SIGCONT');
        record.resumedAt = Date.now();
        const successor = await next;
        record.newLeaderAt = successor?.t;
        record.failoverMs = successor ? successor.t - record.at : null;
        // The resumed process must notice it lost the lease and step down (or never claim it again).
        const deadline = Date.now() + 5000;
        while (Date.now() < deadline) {
          const last = this.leaderEvents.filter((e) => e.pid === target.pid).at(-1);
          if (!last?.isLeader) break;
          await sleep(20);
        }
        const last = this.leaderEvents.filter((e) => e.pid === target.pid).at(-1);
        record.steppedDownMs = last && !last.isLeader ? Math.max(0, last.t - record.resumedAt) : null;
        record.stillClaimsLeadership = Boolean(last?.isLeader);
        break;
      }
      case 'redis-restart': {
        record.at = Date.now();
        this.redisIsDown = true;
        await this.redis.stop('SIGKILL');
        const downMs = this.random.int(1000, 4000);
        await sleep(downMs);
        await this.redis.launch();
        this.redisIsDown = false;
        record.upAt = Date.now();
        record.downMs = record.upAt - record.at;
        this.redisDown.push([record.at, record.upAt]);
        this.wipeDynamic(record.at);
        const next = await this.waitForLeader(record.upAt, undefined);
        record.newLeaderAt = next?.t;
        record.failoverMs = next ? next.t - record.at : null;
        await this.reconnectProbe();
        break;
      }
      case 'flushall': {
        record.at = Date.now();
        await this.probe.flushall();
        this.wipeDynamic(record.at);
        break;
      }
      case 'dynamic': {
        const live = this.live();
        if (live.length === 0) break;
        const existing = [...this.dynamic.entries()].filter(
          ([, d]) => d.deletedAt === undefined && d.wipedAt === undefined,
        );
        const deletes = existing.length > 0 ? this.random.int(1, Math.min(3, existing.length)) : 0;
        record.created = [];
        record.deleted = [];
        for (const [name] of this.random.shuffle(existing).slice(0, deletes)) {
          const via = this.random.pick(live);
          const res = await this.api(via, 'DELETE', `/tasks?task_group_name=Mix&task_name=${encodeURIComponent(name)}`);
          const entry = this.dynamic.get(name);
          if (res.status === 200) {
            entry.deletedAt = Date.now();
            record.deleted.push(name);
          } else this.httpErrors.push({ op: 'delete', name, status: res.status, body: res.body, at: Date.now() });
        }
        const creates = this.random.int(1, 4);
        for (let i = 0; i < creates; i++) {
          const name = `dyn_${++this.dynamicCounter}`;
          const cron = this.random.pick(['* * * * * *', '*/2 * * * * *', '*/5 * * * * *']);
          const via = this.random.pick(live);
          const requestedAt = Date.now();
          const res = await this.api(via, 'POST', '/tasks', {
            task_group_name: 'Mix',
            function_name: 'mixfn',
            cron_expression: cron,
            name,
            kwargs: { ms: this.random.int(0, 50) },
            high_priority: this.random.next() < 0.2 && this.settings.highPriority,
          });
          if (res.status !== 200) {
            this.httpErrors.push({ op: 'create', name, status: res.status, body: res.body, at: Date.now() });
            continue;
          }
          const entry = { cron, createdAt: Date.now(), requestedAt, via: via.pid };
          this.dynamic.set(name, entry);
          record.created.push(name);
          // Known to another instance within moments?
          const other = this.live().find((i) => i !== via);
          if (other) {
            const deadline = Date.now() + 5000;
            while (Date.now() < deadline) {
              const list = await this.api(other, 'GET', `/tasks?task_group_name=Mix&name=${encodeURIComponent(name)}`);
              if (list.status === 200 && Array.isArray(list.body) && list.body.length === 1) {
                entry.propagationMs = Date.now() - entry.createdAt;
                break;
              }
              await sleep(25);
            }
          }
        }
        // Nothing was left to delete (a wipe erased the earlier ones): delete one just created, elsewhere.
        if (record.deleted.length === 0 && record.created.length > 0) {
          const name = record.created[0];
          const via = this.random.pick(this.live());
          const res = await this.api(via, 'DELETE', `/tasks?task_group_name=Mix&task_name=${encodeURIComponent(name)}`);
          if (res.status === 200) {
            this.dynamic.get(name).deletedAt = Date.now();
            record.deleted.push(name);
          } else this.httpErrors.push({ op: 'delete', name, status: res.status, body: res.body, at: Date.now() });
        }
        break;
      }
      default:
        throw new Error(`unknown fault ${kind}`);
    }
    record.endAt = Date.now();
    this.log(
      `fault #${n} ${kind}${record.pid ? ` pid ${record.pid}${record.wasLeader ? ' (leader)' : ''}` : ''}` +
        (record.failoverMs !== undefined ? ` failover ${record.failoverMs} ms` : '') +
        (record.created ? ` created ${record.created.length} deleted ${record.deleted.length}` : ''),
    );
  }

  wipeDynamic(at) {
    for (const entry of this.dynamic.values()) {
      if (entry.deletedAt === undefined && entry.wipedAt === undefined) entry.wipedAt = at;
    }
  }

  async reconnectProbe() {
    this.probe?.disconnect();
    this.probe = new Redis(this.redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
    this.probe.on('error', () => undefined);
    await this.probe.connect().catch(() => undefined);
  }

  // ----- background samplers

  async sample() {
    for (const instance of this.instances) instance.sampleRss();
    try {
      const info = await this.probe.info('memory');
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1]);
      const [high, normal, oneoff] = await Promise.all([
        this.probe.xlen(`{${this.prefix}}:stream:high`),
        this.probe.xlen(`{${this.prefix}}:stream:normal`),
        this.probe.zcard(`{${this.prefix}}:oneoff`),
      ]);
      this.redisMemory.push({ t: Date.now(), used });
      this.backlog.push({ t: Date.now(), high, normal, oneoff });
    } catch {
      // Redis down: nothing to sample
    }
  }

  async probeApi() {
    const instance = this.probeRandom.pick(this.live());
    if (!instance) return;
    const path = this.apiProbes.total % 5 === 4 ? '/tasks?task_group_name=Mix&limit=5' : '/health';
    this.apiProbes.total++;
    const at = Date.now();
    const res = await this.api(instance, 'GET', path);
    this.apiProbes.byStatus[res.status] = (this.apiProbes.byStatus[res.status] ?? 0) + 1;
    const inOutage = (t) => this.redisDown.some(([from, to]) => t >= from - 1000 && t <= to + 5000);
    const redisDown = this.redisIsDown || inOutage(at) || inOutage(Date.now());
    const expected = res.status === 200 || (res.status === 503 && redisDown) || (res.status === 0 && !instance.alive);
    if (!expected) this.apiProbes.unexpected.push({ path, status: res.status, at, pid: instance.pid, body: res.body });
  }

  // ----- the run

  async run() {
    const s = this.settings;
    this.log(`soak: seed ${s.seed}, ${s.minutes} min, ${s.instances} instances, ${this.mix.tasks.size} tasks`);
    this.redis = await startRedisServer();
    await this.reconnectProbe();
    const startedAt = Date.now();
    try {
      await Promise.all(Array.from({ length: s.instances }, (_, slot) => this.startInstance(slot)));
      await this.waitForLeader(0, undefined);
      await this.checkRegistration();
      const readyAt = Date.now();
      const endAt = readyAt + s.minutes * 60000;
      const tailMs = s.tailMs ?? s.longMs[1] + 10000;
      const faultsUntil = endAt - tailMs - s.faultMarginMs;
      this.analysisFrom = readyAt + s.warmupMs;
      this.analysisTo = endAt - tailMs;
      this.log(
        `soak: ${s.instances} instances ready in ${readyAt - startedAt} ms; faults until +${Math.round((faultsUntil - startedAt) / 1000)} s`,
      );

      let samplers = true;
      const sampling = (async () => {
        while (samplers) {
          await this.sample();
          await sleep(5000);
        }
      })();
      const probing = (async () => {
        while (samplers) {
          await this.probeApi();
          await sleep(1000);
        }
      })();
      // The first samples are taken after the warm-up (steady state): start RSS and Redis memory.
      await sleep(Math.min(s.warmupMs, Math.max(0, faultsUntil - Date.now())));
      let deck = [];
      for (;;) {
        const pause = this.random.int(s.faultEveryMs[0], s.faultEveryMs[1]);
        if (Date.now() + pause > faultsUntil) break;
        await sleep(pause);
        if (deck.length === 0) deck = this.random.shuffle(s.faults);
        await this.fault(deck.shift());
      }
      // Let the last slots run and the long tasks finish.
      while (Date.now() < endAt) await sleep(Math.min(1000, endAt - Date.now()));
      await this.quiesce(s.longMs[1] + 15000);
      samplers = false;
      await Promise.all([sampling, probing]);
      await this.sample();
      this.final = await this.finalState();
    } finally {
      await this.stopAll();
      this.probe?.disconnect();
      await this.redis.dispose();
    }
    return this.analyze();
  }

  /** Checks that every instance registered the mix exactly as planned (names and expressions). */
  async checkRegistration() {
    const res = await this.api(this.live()[0], 'GET', '/tasks?task_group_name=Mix');
    if (res.status !== 200) throw new Error(`GET /tasks answered ${res.status}: ${JSON.stringify(res.body)}`);
    const listed = new Map(res.body.map((t) => [t.name, t.expression]));
    for (const [name, task] of this.mix.tasks) {
      if (listed.get(name) !== task.cron)
        throw new Error(`task ${name}: expected ${task.cron}, listed ${listed.get(name)}`);
    }
  }

  /**
   * Stops the schedule (POST /tasks/disable, every task) and waits until every published run has been
   * executed: no execution in progress, both run streams empty. The final state is read after this.
   */
  async quiesce(timeoutMs) {
    const started = Date.now();
    const res = await this.api(this.live()[0], 'POST', '/tasks/disable');
    this.disableAnswer = { status: res.status, count: res.body?.count };
    const deadline = started + timeoutMs;
    const tag = `{${this.prefix}}`;
    while (Date.now() < deadline) {
      const busy = this.executions.some(
        (e) => e.end === undefined && this.instances.some((i) => i.pid === e.pid && i.alive),
      );
      const queued = await Promise.all([
        this.probe.xlen(`${tag}:stream:high`),
        this.probe.xlen(`${tag}:stream:normal`),
      ]).catch(() => [1, 1]);
      if (!busy && queued[0] + queued[1] === 0) break;
      await sleep(200);
    }
    this.quiesceMs = Date.now() - started;
  }

  /** Redis after the drain: streams, pending entries, one-off queue, history lengths and TTLs, keys. */
  async finalState() {
    const p = this.prefix;
    const tag = `{${p}}`;
    const redis = this.probe;
    const pending = async (stream) => {
      try {
        const summary = await redis.xpending(
          `${tag}:${stream}`,
          this.settings.options.workerServiceName ?? 'nest-task-manager',
        );
        return Number(summary[0]);
      } catch {
        return null;
      }
    };
    const ids = [...this.mix.tasks.keys()].map((name) => `Mix/${encodeURIComponent(name)}`);
    const pipeline = redis.pipeline();
    for (const id of ids) {
      pipeline.xlen(`${tag}:runs:${id}`);
      pipeline.ttl(`${tag}:runs:${id}`);
    }
    const results = (await pipeline.exec()).map(([, value]) => value);
    const lengths = [];
    const ttls = [];
    for (let i = 0; i < ids.length; i++) {
      lengths.push(results[2 * i]);
      ttls.push(results[2 * i + 1]);
    }
    // Duplicated outcomes in the recorded history: the same (slot, attempt) twice in one task's history.
    const recordedDuplicates = [];
    const historyPipeline = redis.pipeline();
    for (const id of ids) historyPipeline.xrange(`${tag}:runs:${id}`, '-', '+');
    const histories = (await historyPipeline.exec()).map(([, value]) => value ?? []);
    histories.forEach((entries, i) => {
      const seen = new Set();
      for (const [, fields] of entries) {
        const f = Object.fromEntries(fields.reduce((acc, v, j) => (j % 2 ? acc : [...acc, [v, fields[j + 1]]]), []));
        const key = `${f.s}|${f.a}`;
        if (seen.has(key)) recordedDuplicates.push({ task: ids[i], slot: Number(f.s), attempt: Number(f.a) });
        seen.add(key);
      }
    });
    const live = this.instances.filter((i) => i.alive).length;
    // Who holds the messages still pending (delivered, never acknowledged), and for how long.
    const consumers = {};
    for (const stream of ['stream:high', 'stream:normal']) {
      try {
        const group = this.settings.options.workerServiceName ?? 'nest-task-manager';
        const list = await redis.xinfo('CONSUMERS', `${tag}:${stream}`, group);
        for (const fields of list) {
          const c = Object.fromEntries(fields.reduce((acc, v, j) => (j % 2 ? acc : [...acc, [v, fields[j + 1]]]), []));
          if (Number(c.pending) === 0) continue;
          const owner = this.instances.find((i) => i.workerId === c.name);
          consumers[`${stream} ${c.name}`] = {
            pending: Number(c.pending),
            idleMs: Number(c.idle),
            pid: owner?.pid ?? null,
            alive: owner ? owner.alive : null,
            killed: owner ? owner.killedAt !== undefined : null,
          };
        }
      } catch {
        // no such stream or group
      }
    }
    return {
      disableAnswer: this.disableAnswer,
      quiesceMs: this.quiesceMs,
      pendingConsumers: consumers,
      streamHigh: await redis.xlen(`${tag}:stream:high`),
      streamNormal: await redis.xlen(`${tag}:stream:normal`),
      pendingHigh: await pending('stream:high'),
      pendingNormal: await pending('stream:normal'),
      oneoff: await redis.zcard(`${tag}:oneoff`),
      schedule: await redis.zcard(`${tag}:schedule`),
      dynamicDefinitions: await redis.hlen(`${tag}:dynamic`),
      workers: await redis.zcard(`${tag}:workers`),
      workerInfo: await redis.hlen(`${tag}:worker-info`),
      liveInstances: live,
      keys: await redis.dbsize(),
      historyMaxLength: Math.max(0, ...lengths),
      historyCap: this.settings.options.statisticsHistoryRuns,
      historyKeysWithoutTtl: ttls.filter((t) => t === -1).length,
      recordedDuplicates,
      usedMemory: Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]),
    };
  }

  async stopAll() {
    const alive = this.instances.filter((i) => i.alive);
    for (const instance of alive) {
      instance.expectedExit = true;
      if (instance.frozen) instance.signal('SIGCONT');
      instance.child.kill('SIGTERM');
    }
    const deadline = Date.now() + 20000;
    while (alive.some((i) => !i.exited) && Date.now() < deadline) await sleep(50);
    this.shutdown = alive.map((i) => ({ pid: i.pid, exited: i.exited, code: i.exitCode, signal: i.exitSignal }));
    for (const instance of alive) if (!instance.exited) instance.child.kill('SIGKILL');
    while (alive.some((i) => !i.exited)) await sleep(50);
  }

  // ----- analysis

  analyze() {
    const s = this.settings;
    const from = this.analysisFrom;
    const to = this.analysisTo;
    const leaseMs = s.options.runningHeartbeatInterval * 3000;
    const byPid = new Map(this.instances.map((i) => [i.pid, i]));

    // Executions grouped per (task, slot) and per (task, slot, attempt).
    const perSlot = new Map();
    const perTask = new Map();
    for (const e of this.executions) {
      const key = `${e.task}|${e.slot}`;
      if (!perSlot.has(key)) perSlot.set(key, []);
      perSlot.get(key).push(e);
      if (!perTask.has(e.task)) perTask.set(e.task, []);
      perTask.get(e.task).push(e);
    }
    const completed = (e) => e.end !== undefined && !e.aborted;

    // --- Duplicates: two completed executions of one (task, slot, attempt), unless the later one started
    // after the earlier one's worker was SIGKILLed right after its end (outcome possibly unrecorded) or
    // was SIGSTOPped while it ran (its lease expired: recovered elsewhere; its late outcome is refused).
    const excuse = (x, y) => {
      const instance = byPid.get(x.pid);
      if (!instance) return undefined;
      const k = instance.killedAt;
      if (k !== undefined && x.end <= k && k - x.end <= s.killGraceMs && y.start >= k)
        return 'worker killed after its end';
      for (const stop of instance.stops) {
        if (stop.at >= x.start && stop.at <= x.end && y.start >= stop.at) return 'worker frozen while it ran';
      }
      return undefined;
    };
    const duplicates = [];
    const reExecutions = { 'worker killed after its end': 0, 'worker frozen while it ran': 0 };
    const perAttempt = new Map();
    for (const e of this.executions) {
      if (!completed(e)) continue;
      const key = `${e.task}|${e.slot}|${e.attempt}`;
      if (!perAttempt.has(key)) perAttempt.set(key, []);
      perAttempt.get(key).push(e);
    }
    for (const [key, list] of perAttempt) {
      if (list.length < 2) continue;
      list.sort((a, b) => a.start - b.start);
      for (let i = 1; i < list.length; i++) {
        const reason = list
          .slice(0, i)
          .map((x) => excuse(x, list[i]))
          .find(Boolean);
        if (reason) reExecutions[reason]++;
        else
          duplicates.push({
            key,
            executions: list.map(({ pid, start, end, failed }) => ({ pid, start, end, failed })),
          });
      }
    }

    // --- Recovery of runs lost with a SIGKILLed worker (started, not ended before the kill).
    const recoveries = [];
    const unrecovered = [];
    for (const e of this.executions) {
      const instance = byPid.get(e.pid);
      if (instance?.killedAt === undefined || (e.end !== undefined && e.end <= instance.killedAt)) continue;
      const rerun = (perSlot.get(`${e.task}|${e.slot}`) ?? []).find(
        (r) => r.pid !== e.pid && r.attempt === e.attempt && r.start >= instance.killedAt,
      );
      if (rerun) recoveries.push({ task: e.task, slot: e.slot, ms: rerun.start - instance.killedAt });
      else {
        const wipe = this.faults.find(
          (f) =>
            (f.kind === 'flushall' || f.kind === 'redis-restart') &&
            f.at >= instance.killedAt &&
            f.at <= instance.killedAt + leaseMs + 3000,
        );
        unrecovered.push({
          task: e.task,
          slot: e.slot,
          killedAt: instance.killedAt,
          explainedBy: wipe ? `fault #${wipe.n} ${wipe.kind}` : null,
        });
      }
    }

    // --- Recovery point of each wipe (Redis restart / FLUSHALL): every static per-second task ran again.
    const perSecondTasks = [...this.mix.tasks].filter(([, t]) => t.category === 'per-second').map(([name]) => name);
    for (const fault of this.faults) {
      if (fault.kind !== 'flushall' && fault.kind !== 'redis-restart') continue;
      let recoveredAt = fault.at;
      for (const name of perSecondTasks) {
        const first = (perTask.get(name) ?? [])
          .filter((e) => e.slot >= fault.at && completed(e))
          .reduce((min, e) => Math.min(min, e.slot), Infinity);
        recoveredAt = Math.max(recoveredAt, first);
      }
      fault.recoveredAt = Number.isFinite(recoveredAt) ? recoveredAt : null;
      fault.recoveryMs = fault.recoveredAt === null ? null : fault.recoveredAt - fault.at;
    }

    // --- Explanation windows.
    const windows = [];
    for (const f of this.faults) {
      if ((f.kind === 'kill-leader' || f.kind === 'kill-random' || f.kind === 'freeze-leader') && f.wasLeader) {
        windows.push({ fault: f, from: f.at - 1000, to: (f.newLeaderAt ?? f.endAt) + 1000, cause: 'leader failover' });
      } else if (f.kind === 'flushall' || f.kind === 'redis-restart') {
        windows.push({
          fault: f,
          from: f.at - 1000,
          to: (f.recoveredAt ?? f.endAt) + 1000,
          cause: f.kind === 'flushall' ? 'FLUSHALL erased the schedule' : 'Redis restarted empty',
        });
      }
    }
    const windowOf = (slot) => windows.find((w) => slot >= w.from && slot <= w.to);

    // Backoff: the k-th consecutive failure of a task delays it by min(b * m^(k-1), max) seconds.
    const multiplier = s.options.retryBackoffMultiplier ?? 2;
    const wipes = this.faults.filter((f) => f.kind === 'flushall' || f.kind === 'redis-restart').map((f) => f.at);
    const backoffGates = new Map(); // task -> [{from, to}]
    const backoffViolations = [];
    for (const [name, task] of this.mix.tasks) {
      if (task.category !== 'failing') continue;
      const list = (perTask.get(name) ?? []).filter((e) => completed(e)).sort((a, b) => a.end - b.end);
      const gates = [];
      let consecutive = 0;
      let lastEnd = 0;
      for (const e of list) {
        if (wipes.some((w) => w > lastEnd && w <= e.end)) consecutive = 0;
        lastEnd = e.end;
        // A completion excused as a re-execution was refused (not recorded): it does not count.
        const others = perAttempt.get(`${e.task}|${e.slot}|${e.attempt}`) ?? [];
        if (
          others.length > 1 &&
          others.some((x) => x !== e && x.start < e.start && excuse(x, e) === undefined && excuse(e, x))
        )
          continue;
        if (!e.failed) {
          consecutive = 0;
          continue;
        }
        consecutive++;
        const delayMs = Math.min(task.retryBackoff * multiplier ** (consecutive - 1), task.retryBackoffMax) * 1000;
        gates.push({
          from: e.end - 300,
          to: Math.min(e.end + delayMs, list.find((x) => !x.failed && x.end > e.end)?.end ?? Infinity) + 300,
        });
        // A success recorded after this failure clears the backoff (complete-run deletes retry_after).
        const cleared = list.find((x) => !x.failed && x.end > e.end)?.end ?? Infinity;
        const early = (perTask.get(name) ?? []).find(
          (r) =>
            r.attempt === 1 &&
            r.slot >= e.end + 100 &&
            r.start < Math.min(e.end + delayMs - 50, cleared) &&
            !wipes.some((w) => w >= e.end && w <= r.start),
        );
        if (early)
          backoffViolations.push({ task: name, failedAt: e.end, delayMs, startedAt: early.start, slot: early.slot });
      }
      backoffGates.set(name, gates);
    }

    // --- Slots due, executed, missed (classified).
    const totals = { due: 0, executed: 0, executedOnce: 0, missed: 0 };
    const missedBy = {};
    const missedDetail = [];
    const lateness = [];
    const latenessQuiet = [];
    const latenessByPriority = { high: [], normal: [] };
    const addMiss = (task, slot, cause, fault) => {
      totals.missed++;
      missedBy[cause] = (missedBy[cause] ?? 0) + 1;
      if (fault) {
        fault.missed = (fault.missed ?? 0) + 1;
        fault.missedTasks ??= new Set();
        fault.missedTasks.add(task);
      }
      if (cause === 'unexplained' || missedDetail.length < 200)
        missedDetail.push({ task, slot, cause, fault: fault?.n ?? null });
    };
    const account = (name, task, slots) => {
      for (const slot of slots) {
        totals.due++;
        const list = (perSlot.get(`${name}|${slot}`) ?? []).filter(completed);
        if (list.length > 0) {
          totals.executed++;
          const attempts = new Set(list.map((e) => e.attempt));
          if (attempts.size === list.length) totals.executedOnce++;
          const first = list.reduce((a, b) => (a.start <= b.start ? a : b));
          const late = first.start - slot;
          lateness.push(late);
          if (!windowOf(slot) && !this.faults.some((f) => slot >= f.at - 1000 && slot <= f.endAt + leaseMs))
            latenessQuiet.push(late);
          (task.highPriority ? latenessByPriority.high : latenessByPriority.normal).push(late);
          continue;
        }
        // A run of this slot was in flight when Redis lost its data (FLUSHALL / restart) and ended aborted: the
        // lease keeper reported its lease lost (finding #5) and nothing re-runs it.
        const abortedByWipe = (perSlot.get(`${name}|${slot}`) ?? []).find(
          (r) => r.aborted && r.end !== undefined && wipes.some((w) => w >= r.start - 500 && w <= r.end),
        );
        if (abortedByWipe) {
          addMiss(name, slot, 'in flight during a wipe, aborted (finding #5)');
          continue;
        }
        if (task.category === 'serial') {
          const busy = (perTask.get(name) ?? []).some((r) => r.slot < slot && (r.end ?? Infinity) >= slot - 300);
          if (busy) {
            addMiss(name, slot, 'gated: allowParallel=false (previous run still in flight)');
            continue;
          }
        }
        if (task.category === 'failing' && (backoffGates.get(name) ?? []).some((g) => slot >= g.from && slot <= g.to)) {
          addMiss(name, slot, 'gated: retry backoff after a failure');
          continue;
        }
        const w = windowOf(slot);
        if (w) addMiss(name, slot, w.cause, w.fault);
        else addMiss(name, slot, 'unexplained');
      }
    };
    for (const [name, task] of this.mix.tasks) account(name, task, slotsOf(task.cron, from, to));
    // Dynamic tasks: from a second after creation to their deletion (or the wipe that erased them).
    const afterDeletion = [];
    for (const [name, d] of this.dynamic) {
      const gone = d.deletedAt ?? d.wipedAt ?? Infinity;
      account(
        name,
        { category: 'dynamic', highPriority: false },
        slotsOf(d.cron, Math.max(from, d.createdAt + 1500), Math.min(to, gone - 1000)),
      );
      for (const e of perTask.get(name) ?? []) {
        if (e.slot > gone + 500 || e.start > gone + 1500)
          afterDeletion.push({ task: name, slot: e.slot, start: e.start, gone, by: d.deletedAt ? 'DELETE' : 'wipe' });
      }
    }

    // --- Leadership.
    const acquisitions = this.leaderEvents.filter((e) => e.isLeader);
    const leaderFaults = this.faults.filter(
      (f) => f.failoverMs !== undefined && f.failoverMs !== null && f.kind !== 'redis-restart',
    );

    // --- Memory.
    const instanceMemory = this.instances.map((i) => {
      const warm = i.rss.filter((r) => r.t >= (i.readyAt ?? i.startedAt) + Math.min(s.warmupMs, 15000));
      const series = warm.length > 0 ? warm : i.rss;
      return {
        pid: i.pid,
        slot: i.slot,
        lifetimeS: round(((i.exitedAt ?? Date.now()) - i.startedAt) / 1000),
        killed: i.killedAt !== undefined,
        startRssMb: mb(series[0]?.rss),
        endRssMb: mb(series.at(-1)?.rss),
        maxRssMb: mb(Math.max(0, ...series.map((r) => r.rss))),
        samples: series.length,
      };
    });
    const warmRedis = this.redisMemory.filter((m) => m.t >= from);
    const redisSeries = warmRedis.length > 0 ? warmRedis : this.redisMemory;

    const sorted = (list) => [...list].sort((a, b) => a - b);
    const lat = sorted(lateness);
    const latQuiet = sorted(latenessQuiet);
    const faultCounts = {};
    for (const f of this.faults) faultCounts[f.kind] = (faultCounts[f.kind] ?? 0) + 1;
    const errorLines = this.instances.flatMap((i) => i.errorLines);
    const errorKinds = {};
    for (const line of errorLines) {
      const kind = line.replace(/\d+/g, 'N').slice(0, 160);
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    }
    const maxOf = (list) => (list.length === 0 ? null : Math.max(...list));

    // Diagnostics: what the instances logged around each duplicate and unexplained miss.
    const logsAround = (from, to, pids) =>
      this.instances
        .filter((i) => !pids || pids.includes(i.pid))
        .flatMap((i) => i.logLines.filter((l) => l.t >= from && l.t <= to).map((l) => ({ pid: i.pid, ...l })))
        .filter((l) => !/planned failure/.test(l.text))
        .sort((a, b) => a.t - b.t)
        .slice(0, 40);
    for (const d of duplicates) {
      const starts = d.executions.map((e) => e.start);
      d.logs = logsAround(Math.min(...starts) - 5000, Math.max(...d.executions.map((e) => e.end ?? e.start)) + 1000);
    }
    const unexplained = missedDetail.filter((m) => m.cause === 'unexplained');
    for (const m of unexplained.slice(0, 10)) m.logs = logsAround(m.slot - 3000, m.slot + 10000);

    return {
      settings: { ...s, tasks: this.mix.tasks.size },
      window: { from, to, seconds: round((to - from) / 1000) },
      tasks: {
        static: this.mix.tasks.size,
        byCategory: [...this.mix.tasks.values()].reduce(
          (acc, t) => ({ ...acc, [t.category]: (acc[t.category] ?? 0) + 1 }),
          {},
        ),
        highPriority: [...this.mix.tasks.values()].filter((t) => t.highPriority).length,
        dynamicCreated: this.dynamic.size,
        dynamicDeleted: [...this.dynamic.values()].filter((d) => d.deletedAt !== undefined).length,
        dynamicWiped: [...this.dynamic.values()].filter((d) => d.wipedAt !== undefined).length,
        dynamicPropagationMaxMs: maxOf(
          [...this.dynamic.values()].map((d) => d.propagationMs).filter((v) => v !== undefined),
        ),
      },
      executions: {
        total: this.executions.length,
        completed: this.executions.filter(completed).length,
        failed: this.executions.filter((e) => completed(e) && e.failed).length,
        aborted: this.executions.filter((e) => e.aborted).length,
      },
      slots: {
        due: totals.due,
        executed: totals.executed,
        executedOnce: totals.executedOnce,
        duplicated: duplicates.length,
        missed: totals.missed,
        missedByCause: missedBy,
        unexplainedMissed: missedDetail.filter((m) => m.cause === 'unexplained'),
        missedSample: missedDetail.slice(0, 50),
      },
      duplicates,
      reExecutions,
      recordedDuplicates: this.final?.recordedDuplicates ?? null,
      runsAfterDeletion: afterDeletion,
      backoffViolations,
      lateness: {
        p50Ms: percentile(lat, 50),
        p99Ms: percentile(lat, 99),
        maxMs: maxOf(lat),
        quietP50Ms: percentile(latQuiet, 50),
        quietP99Ms: percentile(latQuiet, 99),
        quietMaxMs: maxOf(latQuiet),
        highP99Ms: percentile(sorted(latenessByPriority.high), 99),
        normalP99Ms: percentile(sorted(latenessByPriority.normal), 99),
      },
      faults: {
        total: this.faults.length,
        byKind: faultCounts,
        list: this.faults.map(({ missedTasks, ...f }) => ({
          ...f,
          missedTasks: missedTasks ? missedTasks.size : undefined,
        })),
      },
      leadership: {
        acquisitions: acquisitions.length,
        leaderChanges: Math.max(0, acquisitions.length - 1),
        maxFailoverMs: maxOf(leaderFaults.map((f) => f.failoverMs)),
        failoversMs: leaderFaults.map((f) => f.failoverMs),
        maxLeaderlessAfterRedisRestartMs: maxOf(
          this.faults.filter((f) => f.kind === 'redis-restart' && f.newLeaderAt).map((f) => f.newLeaderAt - f.upAt),
        ),
        frozenLeadersStillClaiming: this.faults.filter((f) => f.stillClaimsLeadership).length,
        maxStepDownAfterResumeMs: maxOf(
          this.faults
            .filter((f) => f.steppedDownMs !== undefined && f.steppedDownMs !== null)
            .map((f) => f.steppedDownMs),
        ),
      },
      recovery: {
        killedRuns: recoveries.length + unrecovered.length,
        recovered: recoveries.length,
        maxRecoveryMs: maxOf(recoveries.map((r) => r.ms)),
        unrecovered,
        maxWipeRecoveryMs: maxOf(
          this.faults.filter((f) => f.recoveryMs !== undefined && f.recoveryMs !== null).map((f) => f.recoveryMs),
        ),
      },
      processes: {
        started: this.instances.length,
        crashes: this.crashes,
        unhandledRejections: this.unhandled,
        shutdown: this.shutdown,
        errorLogLines: errorLines.length,
        errorKinds,
        warnLogLines: this.instances.reduce((n, i) => n + i.warnLines, 0),
      },
      api: { ...this.apiProbes, dynamicErrors: this.httpErrors },
      memory: {
        instances: instanceMemory,
        redisStartMb: mb(redisSeries[0]?.used),
        redisEndMb: mb(this.final?.usedMemory ?? redisSeries.at(-1)?.used),
        redisMaxMb: mb(Math.max(0, ...redisSeries.map((m) => m.used))),
      },
      backlog: {
        maxStreamHigh: maxOf(this.backlog.map((b) => b.high)),
        maxStreamNormal: maxOf(this.backlog.map((b) => b.normal)),
        maxOneoff: maxOf(this.backlog.map((b) => b.oneoff)),
      },
      final: this.final ? { ...this.final, recordedDuplicates: this.final.recordedDuplicates.length } : null,
    };
  }
}

/**
 * Runs a soak and returns its report.
 * @param {Partial<typeof SOAK_DEFAULTS> & { seed?: number }} input
 * @param {(line: string) => void} log
 */
export async function runSoak(input = {}, log = () => undefined) {
  const settings = {
    ...SOAK_DEFAULTS,
    ...input,
    options: { ...SOAK_OPTIONS, ...input.options },
    seed: input.seed ?? Math.floor(Math.random() * 2 ** 31),
  };
  const soak = new Soak(settings, log);
  return soak.run();
}
