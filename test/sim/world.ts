import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Rng } from './prng.js';

/** Steps between two real event-loop turns (see World). */
const YIELD_EVERY = 256;

/**
 * Runs the tick queue and the microtask queue to empty, synchronously (Node's own `runNextTicks`, exposed as
 * `process._tickCallback`; it has no effect inside a microtask): see World.
 */
const drainNow = (process as unknown as { _tickCallback?: () => void })._tickCallback;

/** Resolves once the microtask queue has been drained (the fallback without `drainNow`: see World). */
const drained = () => new Promise<void>((resolve) => process.nextTick(resolve));

const stepBits = new Float64Array(1);
const stepWords = new Uint32Array(stepBits.buffer);

/**
 * One scheduled happening of the simulated world. Its keys (its time, a seeded tie-break between events due
 * at the same time, its scheduling order) are kept beside it in the queue only (World.heap).
 */
interface SimEvent {
  fn: (arg: unknown) => void;
  /** What `fn` is called with (one function for many events: no closure per event). */
  arg: unknown;
  cancelled: boolean;
}

/** Handle of a scheduled event, to cancel it. */
export type EventHandle = SimEvent;

/** Whether (at1, tie1, seq1) runs before (at2, tie2, seq2): by time, then by the seeded tie-break, then by scheduling order. */
function before(at1: number, tie1: number, seq1: number, at2: number, tie2: number, seq2: number): boolean {
  return at1 < at2 || (at1 === at2 && (tie1 < tie2 || (tie1 === tie2 && seq1 < seq2)));
}

/**
 * The discrete-event queue of a simulation, keyed by simulated ("true") time: every timer of every instance,
 * every network message and every fault is an event. Events due at the same time run in an order drawn from
 * the seed. After each event the promise chains it started run to completion (no real I/O and no real timer
 * exists in the simulated world), then the observer (the invariants) looks.
 *
 * The drain: the steps run synchronously inside a real event-loop turn (a setImmediate callback: not inside a
 * microtask), and after each event `drainNow` runs the microtask queue to empty (V8 drains it whole, promise
 * chains included), so every chain the event started has settled; nothing in the simulated world queues a
 * tick of its own. (Before: the run was an async loop that awaited a `process.nextTick` callback per step, a
 * promise and a resumption per step; a real event-loop turn per step cost more than the step itself.) Every
 * `YIELD_EVERY` steps, and at the end, the run yields one real turn (the host process, a test runner's
 * messages, gets one) and calls `onTurn`: the point where, awaiting a real turn, Node reported the unhandled
 * rejections still unhandled, so that the simulator reports them at the same steps as before (Node now reports
 * them at each drain; the simulator keeps them until `onTurn`, dropping those handled meanwhile).
 */
export class World {
  /** Simulated true time (ms since the epoch): the store's ("Redis server") clock. */
  now: number;
  steps = 0;
  /** With `hashing`: FNV-1a of every step's simulated time, in order (a digest of the run's trajectory). */
  hashing = false;
  stepHash = 0x811c9dc5;
  /** Called at each real turn of the run (see World). */
  onTurn: () => void = () => undefined;
  /**
   * A binary heap of the events due, with each one's keys (at, tie, seq) beside it in flat arrays, and only
   * there: comparing reads no event object, and an event allocates no boxed number.
   */
  private heap: SimEvent[] = [];
  private keyAt = new Float64Array(256);
  private keyTie = new Float64Array(256);
  private keySeq = new Float64Array(256);
  private seq = 0;

  constructor(
    start: number,
    private readonly rng: Rng,
  ) {
    this.now = start;
  }

  /** Runs `fn(arg)` at simulated time `at` (not before now). */
  at<T>(at: number, fn: (arg: T) => void, arg?: T): EventHandle {
    const event: SimEvent = { fn: fn as (arg: unknown) => void, arg, cancelled: false };
    this.push(event, Math.max(at, this.now), this.rng.next(), ++this.seq);
    return event;
  }

  after<T>(ms: number, fn: (arg: T) => void, arg?: T): EventHandle {
    return this.at(this.now + Math.max(0, ms), fn, arg);
  }

  cancel(handle: EventHandle | undefined): void {
    if (handle) handle.cancelled = true;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs events until simulated time `until`, calling `observe` after each; stops early when it returns false. */
  run(until: number, observe: () => boolean, maxSteps = Infinity): Promise<boolean> {
    if (!drainNow) return this.runAwaiting(until, observe, maxSteps);
    return new Promise<boolean>((resolve, reject) => {
      const turn = () => {
        try {
          for (;;) {
            const event = this.next(until);
            if (!event) break;
            event.fn(event.arg);
            drainNow();
            if (this.steps % YIELD_EVERY === 0) {
              this.onTurn();
              if (!observe()) return void setImmediate(() => resolve(false));
              this.checkSteps(maxSteps);
              return void setImmediate(turn);
            }
            if (!observe()) return void setImmediate(() => (this.onTurn(), resolve(false)));
            this.checkSteps(maxSteps);
          }
          this.now = Math.max(this.now, until);
          setImmediate(() => (this.onTurn(), resolve(true)));
        } catch (error) {
          reject(error);
        }
      };
      setImmediate(turn);
    });
  }

  /** `run` where `drainNow` is missing: an async loop awaiting a tick per step (slower, the same steps). */
  private async runAwaiting(until: number, observe: () => boolean, maxSteps: number): Promise<boolean> {
    for (;;) {
      const event = this.next(until);
      if (!event) break;
      event.fn(event.arg);
      if (this.steps % YIELD_EVERY === 0) {
        await nextTurn();
        this.onTurn();
      } else {
        await drained();
      }
      if (!observe()) {
        await nextTurn();
        this.onTurn();
        return false;
      }
      this.checkSteps(maxSteps);
    }
    this.now = Math.max(this.now, until);
    await nextTurn();
    this.onTurn();
    return true;
  }

  /** The next event due by `until` (cancelled ones dropped), made the current step; undefined when none. */
  private next(until: number): SimEvent | undefined {
    for (;;) {
      if (this.heap.length === 0) return undefined;
      const at = this.keyAt[0];
      if (at > until) return undefined;
      const event = this.heap[0];
      this.pop();
      if (event.cancelled) continue;
      this.now = at;
      this.steps++;
      if (this.hashing) this.hashStep(at);
      return event;
    }
  }

  private checkSteps(maxSteps: number): void {
    if (this.steps > maxSteps) throw new Error(`more than ${maxSteps} steps`);
  }

  private hashStep(at: number): void {
    stepBits[0] = at;
    let h = this.stepHash;
    h = Math.imul(h ^ stepWords[0], 0x01000193) >>> 0;
    h = Math.imul(h ^ stepWords[1], 0x01000193) >>> 0;
    this.stepHash = h;
  }

  private push(event: SimEvent, at: number, tie: number, seq: number): void {
    const heap = this.heap;
    let i = heap.length;
    if (i === this.keyAt.length) this.grow();
    const { keyAt, keyTie, keySeq } = this;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(at, tie, seq, keyAt[parent], keyTie[parent], keySeq[parent])) break;
      heap[i] = heap[parent];
      keyAt[i] = keyAt[parent];
      keyTie[i] = keyTie[parent];
      keySeq[i] = keySeq[parent];
      i = parent;
    }
    heap[i] = event;
    keyAt[i] = at;
    keyTie[i] = tie;
    keySeq[i] = seq;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    const n = heap.length;
    if (n === 0) return;
    const { keyAt, keyTie, keySeq } = this;
    const at = keyAt[n];
    const tie = keyTie[n];
    const seq = keySeq[n];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && before(keyAt[r], keyTie[r], keySeq[r], keyAt[l], keyTie[l], keySeq[l]) ? r : l;
      if (!before(keyAt[m], keyTie[m], keySeq[m], at, tie, seq)) break;
      heap[i] = heap[m];
      keyAt[i] = keyAt[m];
      keyTie[i] = keyTie[m];
      keySeq[i] = keySeq[m];
      i = m;
    }
    heap[i] = last;
    keyAt[i] = at;
    keyTie[i] = tie;
    keySeq[i] = seq;
  }

  private grow(): void {
    const size = this.keyAt.length * 2;
    for (const key of ['keyAt', 'keyTie', 'keySeq'] as const) {
      const grown = new Float64Array(size);
      grown.set(this[key]);
      this[key] = grown;
    }
  }
}
