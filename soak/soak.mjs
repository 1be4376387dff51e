// Chaos soak of nestjs-task-manager: a private redis-server (or a private 3-master Redis Cluster), 3-5 real
// application processes (test/fixtures/cluster-worker.mjs in HTTP mode with the MIX task group) coordinating
// one deployment of one or more partitions, a random fault every few seconds, and an analysis of every
// execution per (task, slot) read from the processes' event side channel.
//
// Used by `npm run soak` (soak/run.mjs, 10 minutes by default) and by the 60-second variant inside
// `npm test` (test/reliability/soak-short.e2e-spec.ts). Plain JavaScript: it runs without a build step and
// drives the built library through the worker fixture, exactly as a user's application would.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { analyzeSoak } from './analysis/index.mjs';
import { startDeployment, TOPOLOGIES } from './deployment.mjs';
import { EXTRA_FAULTS, faultsUnavailableIn } from './extra-faults.mjs';
import { ledBy, takeoverAt } from './leadership.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const workerScript = fileURLToPath(new URL('../test/fixtures/cluster-worker.mjs', import.meta.url));
const clockSkewPreload = fileURLToPath(new URL('../tools/faults/clock-skew.mjs', import.meta.url));

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
  orphanedTaskGracePeriod: 10,
  maxDeliveries: 2,
};

/** Default settings of a soak run. */
export const SOAK_DEFAULTS = {
  minutes: 10,
  instances: 4,
  tasks: 500,
  /** Partitions of the deployment (the module option `partitions`, 1..256); 1: the layout of one lease. */
  partitions: 1,
  /** `standalone`: one private redis-server; `cluster`: a private local Redis Cluster of 3 masters. */
  topology: 'standalone',
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
  faults: [
    'kill-leader',
    'kill-random',
    'freeze-leader',
    'redis-restart',
    'flushall',
    'dynamic',
    'dynamic',
    ...Object.keys(EXTRA_FAULTS),
  ],
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

/** Resident set size of a process in bytes, or undefined when it is gone. */
function rssOf(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The task mix

/**
 * The task mix for about `total` tasks (500 by default): per-second and per-minute schedules, normal and
 * high priority, allowParallel false, failing tasks with backoff (and retries), long tasks, and the `extra`
 * entries the faults need (tasks they trigger, category `triggered`). Returns the MIX entries of the worker
 * fixture and, per task name, its cron expression and category.
 */
export function buildMix(total = 500, longMs = [15000, 25000], highPriority = true, extra = []) {
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
    ...extra.map((entry) => ({ count: 1, ...entry, category: 'triggered' })),
  ];
  if (!highPriority) for (const entry of entries) delete entry.highPriority;
  const tasks = new Map();
  for (const entry of entries) {
    const several = entry.crons.length * entry.count > 1;
    let index = 0;
    for (const cron of entry.crons) {
      for (let k = 0; k < entry.count; k++) {
        index++;
        tasks.set(several ? `${entry.name}-${index}` : entry.name, {
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

// ---------------------------------------------------------------------------------------------------------
// Instances

class Instance {
  /**
   * @param proxy the TCP proxy between this instance and Redis (tools/faults/tcp-proxy.mjs): the link faults;
   * none on a Redis Cluster (the instance reaches the masters directly)
   * @param skewMs shift of the instance's wall clock (tools/faults/clock-skew.mjs), 0 for none
   */
  constructor(soak, slot, proxy, skewMs = 0) {
    this.soak = soak;
    this.slot = slot;
    this.proxy = proxy;
    this.skewMs = skewMs;
    /** Periods its Redis link was frozen ({ at, until }): a run that ended then could not record its outcome. */
    this.linkFreezes = [];
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
    const preload = skewMs !== 0 ? ['--import', clockSkewPreload] : [];
    const connection = soak.deployment.connection(proxy);
    this.child = spawn(process.execPath, [...preload, workerScript], {
      cwd: root,
      env: {
        ...process.env,
        TM_CLOCK_SKEW_MS: String(skewMs),
        // (On a Redis Cluster, the `redis` option names the nodes and REDIS_URL is not read.)
        REDIS_URL: connection.url ?? '',
        PREFIX: soak.prefix,
        TASKS: '0',
        HTTP_PORT: '0',
        MIX: JSON.stringify(soak.mix.entries),
        OPTIONS: JSON.stringify({
          ...soak.settings.options,
          partitions: soak.settings.partitions,
          ...connection.options,
        }),
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
            // Times on the soak's clock (the receipt time): an instance may run with a skewed clock.
            this.onEvent({ ...JSON.parse(line), t: Date.now() });
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
      void this.proxy?.close();
      // A fault may expect the process to kill itself (a poison pill): it says so through `soak.selfKill`.
      if (!this.expectedExit && !soak.selfKill?.(this))
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
        soak.leaderEvents.push({
          worker: event.worker,
          pid: event.pid,
          isLeader: event.isLeader,
          // The partitions it leads ([0] for the leader of one partition).
          partitions: event.partitions ?? (event.isLeader ? [0] : []),
          t: event.t,
        });
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
    // Tasks the faults of this run trigger (a poison pill, a CPU-bound handler), once each.
    const extra = [...new Set(settings.faults)].flatMap((kind) => EXTRA_FAULTS[kind]?.mixEntries ?? []);
    this.mix = buildMix(settings.tasks, settings.longMs, settings.highPriority, extra);
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
      v: event.v,
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

  /** The probe client of the soak's Redis (a Cluster client on a Redis Cluster). */
  get probe() {
    return this.deployment.probe;
  }

  /** The deployment's keys (TaskManagerKeys of the built library: the one home of every key). */
  get keys() {
    return this.deployment.keys;
  }

  /** The partition task `name` of the mix belongs to (the library's mapping; 0 with one partition). */
  partitionOfTask(name) {
    return this.deployment.partitionOfTask(name);
  }

  /**
   * The live instance currently reporting leadership of a partition (last change wins); with several
   * partitions, an instance leading some.
   */
  leader() {
    const state = new Map();
    for (const e of this.leaderEvents) state.set(e.pid, e);
    const claims = this.instances
      .filter((i) => i.alive && state.get(i.pid)?.isLeader)
      .sort((a, b) => state.get(b.pid).t - state.get(a.pid).t);
    return claims[0];
  }

  /** The partitions `instance` leads by its last event (at or before `t`). */
  ledPartitions(instance, t = Infinity) {
    return instance ? ledBy(this.leaderEvents, instance.pid, t) : [];
  }

  /** Whether process `pid` was alive (not yet killed nor exited) at `t`. */
  aliveAt(pid, t) {
    const instance = this.instances.find((i) => i.pid === pid);
    return instance !== undefined && (instance.killedAt ?? instance.exitedAt ?? Infinity) > t;
  }

  /**
   * Waits until every partition of `partitions` (those `victim` led) is led by another instance after
   * `after` (soak/leadership.mjs takeoverAt); resolves to `{ t }`, when the last of them was, or to undefined
   * after `timeoutMs`. With one partition: the first acquisition of the lease by another instance.
   */
  async waitForTakeover(after, victim, partitions, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    const isAlive = (pid, t) => this.aliveAt(pid, t);
    for (;;) {
      const t = takeoverAt(this.leaderEvents, { after, victim, partitions, isAlive });
      if (t !== undefined) return { t };
      if (Date.now() > deadline) return undefined;
      await sleep(20);
    }
  }

  /**
   * Waits until every partition `exclude` led at `after` (every partition when `exclude` is undefined) is led
   * by another instance after `after`: `{ t }`, or undefined after `timeoutMs`.
   */
  waitForLeader(after, exclude, timeoutMs = 30000) {
    const partitions =
      exclude === undefined
        ? Array.from({ length: this.settings.partitions }, (_, i) => i)
        : ledBy(this.leaderEvents, exclude, after);
    return this.waitForTakeover(after, exclude, partitions, timeoutMs);
  }

  /**
   * Waits until every partition's lease is held again in Redis (its leader key, e.g. after a restart that
   * erased them); the time it was, or undefined after `timeoutMs`.
   */
  async waitForLeases(timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const held = await this.deployment.sumOverPartitions((p) => this.probe.exists(p.leader)).catch(() => -1);
      if (held === this.settings.partitions) return Date.now();
      if (Date.now() > deadline) return undefined;
      await sleep(20);
    }
  }

  /** FLUSHALL (on every master of a Redis Cluster); the dynamic tasks are erased with the data. */
  async flushAll(at = Date.now()) {
    await this.deployment.flushAll();
    this.wipeDynamic(at);
  }

  /**
   * Starts an instance behind its own TCP proxy (the link faults; directly on a Redis Cluster), with a skewed
   * clock if asked.
   */
  async startInstance(slot, { skewMs = 0 } = {}) {
    const proxy = await this.deployment.startLink();
    const instance = new Instance(this, slot, proxy, skewMs);
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
        // The partitions it led: their slots wait for the failover (the others' do not).
        record.ledPartitions = this.ledPartitions(target);
        record.wasLeader = record.ledPartitions.length > 0;
        record.at = Date.now();
        target.signal('SIGKILL');
        const next = record.wasLeader ? this.waitForTakeover(record.at, target.pid, record.ledPartitions) : undefined;
        await sleep(this.random.int(0, 2000));
        const replacement = await this.startInstance(target.slot);
        record.restartedPid = replacement.pid;
        record.restartedAt = replacement.readyAt;
        if (next) {
          const successor = await next;
          record.newLeaderAt = successor?.t;
          record.failoverMs = successor ? successor.t - record.at : null;
        }
        break;
      }
      case 'freeze-leader': {
        const target = this.leader() ?? this.random.pick(this.live());
        if (!target) break;
        const leaseMs = this.settings.options.leaderHeartbeatInterval * 3000;
        const freezeMs = leaseMs + this.random.int(1000, 3000);
        record.pid = target.pid;
        record.ledPartitions = this.ledPartitions(target);
        record.wasLeader = record.ledPartitions.length > 0;
        record.freezeMs = freezeMs;
        record.at = Date.now();
        target.signal('SIGSTOP');
        const next = record.wasLeader
          ? this.waitForTakeover(record.at, target.pid, record.ledPartitions, freezeMs + 30000)
          : undefined;
        await sleep(freezeMs);
        target.signal('SIGCONT');
        record.resumedAt = Date.now();
        if (!next) break;
        const successor = await next;
        record.newLeaderAt = successor?.t;
        record.failoverMs = successor ? successor.t - record.at : null;
        // The resumed process must notice it lost its leases and step down from each partition it led (it may
        // take one again later, once others lead them: the leases are spread over the live instances).
        const droppedAt = () =>
          record.ledPartitions.map(
            (p) =>
              this.leaderEvents.find((e) => e.pid === target.pid && e.t >= record.at && !e.partitions.includes(p))?.t,
          );
        const deadline = Date.now() + 5000;
        while (Date.now() < deadline && droppedAt().some((t) => t === undefined)) await sleep(20);
        const dropped = droppedAt();
        record.stillClaimsLeadership = dropped.some((t) => t === undefined);
        record.steppedDownMs = record.stillClaimsLeadership
          ? null
          : Math.max(0, Math.max(...dropped) - record.resumedAt);
        break;
      }
      case 'redis-restart': {
        // Standalone: redis-server SIGKILLed, back empty. Cluster: one master SIGKILLed, back empty with its
        // slots (the partitions it serves are wiped) once the cluster is ok again on every node.
        record.at = Date.now();
        this.redisIsDown = true;
        const restarted = await this.deployment.restart(this.random.int(1000, 4000), (list) => this.random.pick(list));
        this.redisIsDown = false;
        Object.assign(record, restarted);
        record.downMs = record.upAt - record.at;
        this.redisDown.push([record.at, record.upAt]);
        this.wipeDynamic(record.at, record.wipedPartitions);
        await this.reconnectProbe();
        // Every partition's lease held again (those erased by the restart taken anew).
        record.newLeaderAt = await this.waitForLeases();
        record.failoverMs = record.newLeaderAt === undefined ? null : record.newLeaderAt - record.at;
        break;
      }
      case 'flushall': {
        record.at = Date.now();
        await this.flushAll(record.at);
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
        if (!EXTRA_FAULTS[kind]) throw new Error(`unknown fault ${kind}`);
        await EXTRA_FAULTS[kind].run(this, record);
    }
    record.endAt = Date.now();
    this.log(
      `fault #${n} ${kind}${record.pid ? ` pid ${record.pid}${record.wasLeader ? ' (leader)' : ''}` : ''}` +
        (record.failoverMs !== undefined ? ` failover ${record.failoverMs} ms` : '') +
        (record.created ? ` created ${record.created.length} deleted ${record.deleted.length}` : ''),
    );
  }

  /** The dynamic tasks of `partitions` (every partition when undefined) were erased with their data at `at`. */
  wipeDynamic(at, partitions) {
    for (const [name, entry] of this.dynamic) {
      if (entry.deletedAt !== undefined || entry.wipedAt !== undefined) continue;
      if (partitions === undefined || partitions.includes(this.partitionOfTask(name))) entry.wipedAt = at;
    }
  }

  reconnectProbe() {
    return this.deployment.reconnectProbe();
  }

  // ----- background samplers

  async sample() {
    for (const instance of this.instances) instance.sampleRss();
    try {
      const used = await this.deployment.usedMemory();
      // Summed over the partitions.
      const sum = (read) => this.deployment.sumOverPartitions(read);
      const [high, normal, oneoff] = await Promise.all([
        sum((p) => this.probe.xlen(p.streamHigh)),
        sum((p) => this.probe.xlen(p.streamNormal)),
        sum((p) => this.probe.zcard(p.oneOff)),
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
    // Its own link to Redis frozen (a link fault): Redis is unreachable for this instance alone.
    const linkDown = (t) => instance.linkFreezes.some((f) => t >= f.at - 1000 && t <= (f.until ?? Infinity) + 5000);
    const redisDown = this.redisIsDown || inOutage(at) || inOutage(Date.now()) || linkDown(at) || linkDown(Date.now());
    // Frozen whole (SIGSTOP) while it was asked, past the request's timeout: no answer at all.
    const stopped = instance.stops.some((s) => s.at <= Date.now() && (s.until ?? Infinity) >= at);
    // No answer from a process that is dying (a poison pill, a kill): its exit may be noticed a moment later.
    if (res.status === 0 && instance.alive && !stopped) await sleep(1000);
    const expected =
      res.status === 200 || (res.status === 503 && redisDown) || (res.status === 0 && (!instance.alive || stopped));
    if (!expected) this.apiProbes.unexpected.push({ path, status: res.status, at, pid: instance.pid, body: res.body });
  }

  // ----- the run

  async run() {
    const s = this.settings;
    const layout =
      s.partitions === 1 && s.topology === 'standalone' ? '' : `, ${s.partitions} partition(s) on ${s.topology} Redis`;
    this.log(`soak: seed ${s.seed}, ${s.minutes} min, ${s.instances} instances, ${this.mix.tasks.size} tasks${layout}`);
    this.deployment = await startDeployment({ topology: s.topology, prefix: this.prefix, partitions: s.partitions });
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
      await this.deployment.stop();
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
    while (Date.now() < deadline) {
      const busy = this.executions.some(
        (e) => e.end === undefined && this.instances.some((i) => i.pid === e.pid && i.alive),
      );
      // Both run streams of every partition.
      const queued = await this.deployment
        .sumOverPartitions(async (p) => (await this.probe.xlen(p.streamHigh)) + (await this.probe.xlen(p.streamNormal)))
        .catch(() => 1);
      if (!busy && queued === 0) break;
      await sleep(200);
    }
    this.quiesceMs = Date.now() - started;
  }

  /**
   * Redis after the drain: streams, pending entries, one-off queue, history lengths and TTLs, keys (summed over
   * the partitions and the masters).
   */
  async finalState() {
    const redis = this.probe;
    const deployment = this.deployment;
    const keys = this.keys;
    const group = this.settings.options.workerServiceName ?? 'nest-task-manager';
    const sum = (read) => deployment.sumOverPartitions(read);
    // Pending entries of one stream of every partition; null when none has the group (nothing was consumed).
    const pending = async (stream) => {
      const counts = await Promise.all(
        deployment.partitionKeys.map((p) =>
          redis.xpending(p[stream], group).then(
            (summary) => Number(summary[0]),
            () => null,
          ),
        ),
      );
      return counts.every((n) => n === null) ? null : counts.reduce((total, n) => total + (n ?? 0), 0);
    };
    const names = [...this.mix.tasks.keys()];
    const ids = names.map((name) => deployment.taskId(name));
    // Each task's history, in its partition (one pipeline per partition: one slot on a Redis Cluster).
    const perTask = await deployment.pipelinePerPartition(
      names,
      (name) => deployment.partitionOfTask(name),
      (pipeline, p, name) => {
        const history = p.history(deployment.taskId(name));
        pipeline.xlen(history).ttl(history).xrange(history, '-', '+');
        return 3;
      },
    );
    const lengths = perTask.map((replies) => replies[0][1]);
    const ttls = perTask.map((replies) => replies[1][1]);
    const histories = perTask.map((replies) => replies[2][1] ?? []);
    // Duplicated outcomes in the recorded history: the same (slot, attempt) twice in one task's history.
    const recordedDuplicates = [];
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
    for (const [index, p] of deployment.partitionKeys.entries()) {
      for (const [stream, key] of [
        ['stream:high', p.streamHigh],
        ['stream:normal', p.streamNormal],
      ]) {
        const label = deployment.partitions === 1 ? stream : `partition ${index} ${stream}`;
        try {
          const list = await redis.xinfo('CONSUMERS', key, group);
          for (const fields of list) {
            const c = Object.fromEntries(
              fields.reduce((acc, v, j) => (j % 2 ? acc : [...acc, [v, fields[j + 1]]]), []),
            );
            if (Number(c.pending) === 0) continue;
            const owner = this.instances.find((i) => i.workerId === c.name);
            consumers[`${label} ${c.name}`] = {
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
    }
    return {
      disableAnswer: this.disableAnswer,
      quiesceMs: this.quiesceMs,
      pendingConsumers: consumers,
      streamHigh: await sum((p) => redis.xlen(p.streamHigh)),
      streamNormal: await sum((p) => redis.xlen(p.streamNormal)),
      pendingHigh: await pending('streamHigh'),
      pendingNormal: await pending('streamNormal'),
      oneoff: await sum((p) => redis.zcard(p.oneOff)),
      schedule: await sum((p) => redis.zcard(p.schedule)),
      dynamicDefinitions: await sum((p) => redis.hlen(p.dynamic)),
      workers: await redis.zcard(keys.workers),
      workerInfo: await redis.hlen(keys.workerInfo),
      liveInstances: live,
      keys: await deployment.dbsize(),
      historyMaxLength: Math.max(0, ...lengths),
      historyCap: this.settings.options.statisticsHistoryRuns,
      historyKeysWithoutTtl: ttls.filter((t) => t === -1).length,
      recordedDuplicates,
      usedMemory: await deployment.usedMemory(),
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

  // ----- analysis (soak/analysis/)

  analyze() {
    return analyzeSoak(this);
  }
}

/** What is wrong with the layout of `settings` (partitions, topology), if anything. */
export function layoutProblem({ partitions, topology }) {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 256)
    return `partitions must be an integer from 1 to 256 (got ${JSON.stringify(partitions)})`;
  if (!TOPOLOGIES.includes(topology))
    return `topology must be ${TOPOLOGIES.map((t) => `"${t}"`).join(' or ')} (got ${JSON.stringify(topology)})`;
  return undefined;
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
  const problem = layoutProblem(settings);
  if (problem) throw new Error(problem);
  // On a Redis Cluster the instances reach the masters directly: the faults on one instance's own link are off
  // the default menu there, and refused when asked for.
  const unavailable = faultsUnavailableIn(settings.topology, settings.faults);
  if (unavailable.length > 0 && input.faults)
    throw new Error(
      `faults ${[...new Set(unavailable)].join(', ')} act on an instance's own link to Redis: standalone topology only`,
    );
  settings.faults = settings.faults.filter((kind) => !unavailable.includes(kind));
  const soak = new Soak(settings, log);
  const report = await soak.run();
  // The raw record (every execution, fault, leadership change and warning), to diagnose a verdict after the fact.
  if (input.rawOut) {
    const raw = {
      executions: soak.executions,
      faults: soak.faults,
      leaderEvents: soak.leaderEvents,
      // What each instance logged at WARN and ERROR (its latest lines).
      logs: soak.instances.map(({ pid, slot, logLines }) => ({ pid, slot, logLines })),
    };
    writeFileSync(
      input.rawOut,
      JSON.stringify(raw, (_, v) => (v instanceof Set ? [...v] : v)),
    );
  }
  return report;
}
