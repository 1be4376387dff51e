import type {
  ChangeNotice,
  CoordinationPort,
  RunMessage,
} from '../../libs/task-manager/src/engine/coordination.port.js';
import type { MemoryStore } from '../../libs/task-manager/src/memory/memory-store.js';
import { toRunMessage } from '../../libs/task-manager/src/memory/memory-store.js';
import type { Rng } from './prng.js';
import type { SimHost } from './sim-host.js';
import type { EventHandle, World } from './world.js';

/** Calls answered at once, without a round trip (local state of the driver). */
const LOCAL_CALLS = new Set(['lifecycle.isHealthy', 'runs.interrupt', 'lifecycle.close']);

/**
 * Calls whose Redis script runs once per request (`@include "request-once"`: hand-back-runs, trigger-tasks,
 * create-dynamic-task, update-dynamic-task, delete-task): a command ioredis sends again answers what its first
 * run did, when that run kept its result (it changed something; a refusal is not kept, and is run again).
 * For each, whether a result was kept. (The in-process driver has no request key: a re-sent call is modelled
 * here, where the network re-sends it. test/sim/once-per-request.e2e-spec.ts checks the list against the scripts.)
 */
export const ONCE_PER_REQUEST: ReadonlyMap<string, (result: unknown) => boolean> = new Map<
  string,
  (result: unknown) => boolean
>([
  ['runs.handBack', () => true],
  ['state.trigger', () => true],
  ['dynamicTasks.create', (result: unknown) => result === 'created'],
  ['dynamicTasks.update', (result: unknown) => result === 'updated'],
  ['dynamicTasks.remove', (result: unknown) => result !== null],
]);

/** What travels over a link: a request or a reply, handed over by `arrive` at the other end. */
interface Message {
  arrive(): void;
}

const arrive = (message: Message) => message.arrive();

/** The network between one process and the store ("Redis"): its faults are switched by the fault schedule. */
export class Link {
  /** Calls from (and replies to) this process hang until the link thaws. */
  frozen = false;
  /** One-way delay (ms): a uniform draw in [minDelayMs, minDelayMs + jitterMs) plus `extraDelayMs`. */
  minDelayMs = 0.2;
  jitterMs = 2;
  extraDelayMs = 0;
  /** Probability that a reply is lost (the call took effect; the caller sees its connection drop). */
  lossRate = 0;
  /** Probability that a call is applied twice (its reply lost, ioredis re-sends it after reconnecting). */
  duplicateRate = 0;
  private readonly held: Message[] = [];

  constructor(
    private readonly world: World,
    private readonly rng: Rng,
  ) {}

  delay(): number {
    return this.minDelayMs + this.rng.next() * this.jitterMs + this.extraDelayMs;
  }

  /** Sends `message` over the link: it arrives after a delay, or once the link thaws. */
  send(message: Message): void {
    if (this.frozen) this.held.push(message);
    else this.world.after(this.delay(), this.reach, message);
  }

  /** A message at the end of its delay: held if the link froze meanwhile. */
  private readonly reach = (message: Message): void => {
    if (this.frozen) this.held.push(message);
    else message.arrive();
  };

  fate(): 'ok' | 'lost' | 'duplicated' {
    if (this.lossRate > 0 && this.rng.chance(this.lossRate)) return 'lost';
    if (this.duplicateRate > 0 && this.rng.chance(this.duplicateRate)) return 'duplicated';
    return 'ok';
  }

  thaw(): void {
    this.frozen = false;
    for (const message of this.held.splice(0)) this.world.after(this.delay(), arrive, message);
  }

  heal(): void {
    this.thaw();
    this.extraDelayMs = 0;
    this.lossRate = 0;
    this.duplicateRate = 0;
  }
}

/** What the store did for one call (observed when it was applied, whatever reached the caller). */
export interface AppliedCall {
  worker: string;
  name: string;
  /** The partition whose part was called (a lease, a schedule, a sweep); undefined: the deployment's. */
  partition?: number;
  args: unknown[];
  result?: unknown;
  error?: unknown;
}

export interface NetworkOptions {
  /** A command with no reply for this long fails (ioredis `commandTimeout`); the blocking read has none. */
  commandTimeoutMs: number;
  /**
   * After a lost reply (a reconnection), the next read returns this consumer's pending runs first, as the
   * Redis driver does (`rereadPending`). False reverts that fix (for rediscovery runs).
   */
  rereadAfterReconnect: boolean;
}

/** What a port's calls share: its process, link and store, and whether its connection dropped. */
interface PortContext {
  world: World;
  host: SimHost;
  link: Link;
  store: MemoryStore;
  worker: string;
  options: NetworkOptions;
  /** Whether `onApplied` is told of the calls named `name` (asked once per method). */
  observes: (name: string) => boolean;
  onApplied: (call: AppliedCall) => void;
  onReply: (name: string, fate: string) => void;
}

/** One method of a port, wrapped: what each of its calls needs. */
interface Method {
  name: string;
  obj: object;
  fn: (...args: unknown[]) => unknown;
  /** Its calls are reported to `onApplied` (PortContext.observes). */
  observed: boolean;
  /** The partition whose part it is (see AppliedCall). */
  partition?: number;
}

/** A port's connection state: after a lost reply (a reconnection), its next read re-reads its pending runs. */
interface Connection {
  rereadPending: boolean;
}

/** The runs pending for `consumer` in the store (what XREADGROUP with id 0 returns). */
function pendingOf(store: MemoryStore, consumer: string): RunMessage[] {
  const runs: RunMessage[] = [];
  // (Every partition's, as the Redis driver re-reads each partition connection's pending runs.)
  for (const part of store.partitions)
    for (const stream of [part.high, part.normal])
      for (const delivery of stream.pending.values())
        if (delivery.consumer === consumer) {
          delivery.touchedAt = store.now();
          runs.push(toRunMessage(delivery.entry, stream.highPriority));
        }
  return runs;
}

const timeOut = (call: PortCall) => call.timeOut();
const settleReply = (call: PortCall) => call.settleReply();

/**
 * One port call in flight: a request that reaches the store after a delay, a reply that comes back after
 * another (or is lost, or the call is applied twice), and the command timeout. One object per call, its steps
 * methods (before: a closure per step and per callback); it is the message its link carries, first the
 * request (again when it is re-sent), then the reply.
 */
class PortCall implements Message {
  private settled = false;
  /** The reply is on its way: the next arrival is the reply's. */
  private replying = false;
  private replyOk = false;
  private replyValue: unknown;
  private readonly fate: 'ok' | 'lost' | 'duplicated';
  private readonly blocking: boolean;
  private readonly timeout: EventHandle | undefined;
  /** Applied a second time (an ioredis re-send): its outcome is replied whatever the fate. */
  private again = false;
  /** The first run's result was kept by its script (`ONCE_PER_REQUEST`): the re-sent command answers it. */
  private kept = false;

  private readonly name: string;

  constructor(
    private readonly ctx: PortContext,
    private readonly connection: Connection,
    private readonly method: Method,
    private readonly args: unknown[],
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.name = method.name;
    this.fate = ctx.link.fate();
    this.blocking = this.name === 'runs.read';
    this.timeout = this.blocking ? undefined : ctx.world.after(ctx.options.commandTimeoutMs, timeOut, this);
    ctx.link.send(this);
  }

  arrive(): void {
    if (this.replying) this.ctx.host.deliver(settleReply, this);
    else this.apply();
  }

  timeOut(): void {
    this.ctx.host.deliver(() => this.settle(false, new Error(`Command timed out (${this.name})`)));
  }

  settleReply(): void {
    this.settle(this.replyOk, this.replyValue);
  }

  private settle(ok: boolean, value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.ctx.world.cancel(this.timeout);
    if (ok) this.resolve(value);
    else this.reject(value);
  }

  private reply(ok: boolean, value: unknown): void {
    this.replying = true;
    this.replyOk = ok;
    this.replyValue = value;
    this.ctx.link.send(this);
  }

  private apply(): void {
    const { ctx, connection, args } = this;
    const { obj, fn, observed } = this.method;
    if (this.again && this.kept) return this.reply(true, this.replyValue);
    let pending: Promise<unknown>;
    if (this.blocking && connection.rereadPending && ctx.options.rereadAfterReconnect) {
      connection.rereadPending = false;
      const runs = pendingOf(ctx.store, args[0] as string);
      pending = runs.length > 0 ? Promise.resolve(runs) : (fn.apply(obj, args) as Promise<unknown>);
    } else {
      pending = fn.apply(obj, args) as Promise<unknown>;
    }
    pending.then(
      (result) => {
        if (observed)
          ctx.onApplied({ worker: ctx.worker, name: this.name, partition: this.method.partition, args, result });
        this.applied(true, result);
      },
      (error: unknown) => {
        if (observed)
          ctx.onApplied({ worker: ctx.worker, name: this.name, partition: this.method.partition, args, error });
        this.applied(false, error);
      },
    );
  }

  private applied(ok: boolean, value: unknown): void {
    if (this.again || this.fate === 'ok') return this.reply(ok, value);
    // What a script that runs once per request kept of its first run (the re-sent command answers it).
    this.kept = ok && (ONCE_PER_REQUEST.get(this.name)?.(value) ?? false);
    this.replyValue = value;
    // The connection dropped before the reply: the driver reconnects (and re-reads its pending runs).
    this.connection.rereadPending = true;
    this.ctx.onReply(this.name, this.fate);
    if (this.fate === 'lost') return this.reply(false, new Error(`Connection lost (${this.name})`));
    // ioredis re-sends the command on the new connection: it runs a second time.
    this.again = true;
    this.ctx.link.send(this);
  }
}

/**
 * Wraps one process's coordination port (a memory driver on the shared store) in a simulated network: each
 * call is a request that reaches the store after a delay and a reply that comes back after another, both
 * through the link (frozen: held; lossy: the reply lost after the call took effect; duplicated: applied a
 * second time) and the host (a dead process gets nothing, a paused one later). Change notices reach the
 * process through the link too (lost while it is frozen, as pub/sub messages during a disconnect).
 */
export function networkPort(inner: CoordinationPort, ctx: PortContext): CoordinationPort {
  const { world, host, link } = ctx;
  const connection: Connection = { rereadPending: false };

  const call = (method: Method, args: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => new PortCall(ctx, connection, method, args, resolve, reject));

  const wrapperOf = (
    obj: object,
    name: string,
    fn: (...args: unknown[]) => unknown,
    partition: number | undefined,
  ): unknown => {
    if (LOCAL_CALLS.has(name)) return fn.bind(obj);
    if (name === 'notices.subscribe') {
      return (listener: (notice: ChangeNotice) => void) =>
        fn.call(obj, (notice: ChangeNotice) => {
          if (link.frozen) return;
          world.after(link.delay(), () => {
            if (!link.frozen) host.deliver(() => listener(notice));
          });
        });
    }
    const method: Method = { name, obj, fn, observed: ctx.observes(name), partition };
    return (...args: unknown[]) => call(method, args);
  };

  const wrap = <T extends object>(part: string, target: T, partition?: number): T => {
    // (Every method wrapped once, up front, on a plain object: the engine reads a port's methods on every call.)
    const wrapped: Record<string, unknown> = {};
    for (let o: object | null = target; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
      for (const prop of Object.getOwnPropertyNames(o)) {
        if (prop === 'constructor' || Object.hasOwn(wrapped, prop)) continue;
        const value = Object.getOwnPropertyDescriptor(o, prop)!.value as unknown;
        if (typeof value === 'function')
          wrapped[prop] = wrapperOf(target, `${part}.${prop}`, value as (...args: unknown[]) => unknown, partition);
        else
          Object.defineProperty(wrapped, prop, { get: () => Reflect.get(target, prop) as unknown, enumerable: true });
      }
    }
    return wrapped as T;
  };

  // A part shared by the port and a partition (the one partition's are the port's own) is wrapped once: the
  // engine's calls through either go over the network, under the same names (`leadership.acquire`, ...).
  const wrappedParts = new Map<object, unknown>();
  const part = <T extends object>(name: string, target: T, partition?: number): T => {
    if (!wrappedParts.has(target)) wrappedParts.set(target, wrap(name, target, partition));
    return wrappedParts.get(target) as T;
  };

  // (Each partition's parts first: partition 0's lease is also the port's own.)
  const partitions = inner.partitions.map(({ index, leadership, schedule, taskSets }) => ({
    index,
    leadership: part('leadership', leadership, index),
    schedule: part('schedule', schedule, index),
    taskSets: part('taskSets', taskSets, index),
  }));
  return {
    lifecycle: wrap('lifecycle', inner.lifecycle),
    leadership: part('leadership', inner.leadership),
    schedule: part('schedule', inner.schedule),
    partitions,
    // (Local: which partition a task belongs to is computed, not asked of the store.)
    partitionOf: inner.partitionOf,
    runs: wrap('runs', inner.runs),
    state: wrap('state', inner.state),
    notices: wrap('notices', inner.notices),
    workers: wrap('workers', inner.workers),
    dynamicTasks: wrap('dynamicTasks', inner.dynamicTasks),
    taskSets: part('taskSets', inner.taskSets),
  };
}
