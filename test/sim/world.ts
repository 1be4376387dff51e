import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Rng } from './prng.js';

/** Steps between two real event-loop turns (see World). */
const YIELD_EVERY = 256;

/** Resolves once the microtask queue has been drained (see World). */
const drained = () => new Promise<void>((resolve) => process.nextTick(resolve));

const stepBits = new Float64Array(1);
const stepWords = new Uint32Array(stepBits.buffer);

/** One scheduled happening of the simulated world. */
interface SimEvent {
  at: number;
  /** Seeded tie-break between events due at the same simulated time. */
  tie: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Handle of a scheduled event, to cancel it. */
export type EventHandle = SimEvent;

/**
 * The discrete-event queue of a simulation, keyed by simulated ("true") time: every timer of every instance,
 * every network message and every fault is an event. Events due at the same time run in an order drawn from
 * the seed. After each event the promise chains it started run to completion (no real I/O and no real timer
 * exists in the simulated world), then the observer (the invariants) looks.
 *
 * The drain: after an event, the run waits for a `process.nextTick` callback, which Node runs only once the
 * microtask queue is empty (V8 drains it whole, promise chains included), so every chain the event started
 * has settled; nothing in the simulated world queues a tick of its own. A real event-loop turn per step
 * (setImmediate) drained the same but cost more than the step itself. Every `YIELD_EVERY` steps, and at the
 * end, the run still yields one real turn: Node reports unhandled rejections only when its tick queue runs
 * empty, and the host process (a test runner's messages) gets a turn.
 */
export class World {
  /** Simulated true time (ms since the epoch): the store's ("Redis server") clock. */
  now: number;
  steps = 0;
  /** With `hashing`: FNV-1a of every step's simulated time, in order (a digest of the run's trajectory). */
  hashing = false;
  stepHash = 0x811c9dc5;
  private heap: SimEvent[] = [];
  private seq = 0;

  constructor(
    start: number,
    private readonly rng: Rng,
  ) {
    this.now = start;
  }

  /** Runs `fn` at simulated time `at` (not before now). */
  at(at: number, fn: () => void): EventHandle {
    const event: SimEvent = { at: Math.max(at, this.now), tie: this.rng.next(), seq: ++this.seq, fn, cancelled: false };
    this.push(event);
    return event;
  }

  after(ms: number, fn: () => void): EventHandle {
    return this.at(this.now + Math.max(0, ms), fn);
  }

  cancel(handle: EventHandle | undefined): void {
    if (handle) handle.cancelled = true;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs events until simulated time `until`, calling `observe` after each; stops early when it returns false. */
  async run(until: number, observe: () => boolean, maxSteps = Infinity): Promise<boolean> {
    for (;;) {
      const event = this.heap[0];
      if (!event || event.at > until) break;
      this.pop();
      if (event.cancelled) continue;
      this.now = event.at;
      this.steps++;
      if (this.hashing) this.hashStep(event.at);
      event.fn();
      await (this.steps % YIELD_EVERY === 0 ? nextTurn() : drained());
      if (!observe()) {
        await nextTurn();
        return false;
      }
      if (this.steps > maxSteps) throw new Error(`more than ${maxSteps} steps`);
    }
    this.now = Math.max(this.now, until);
    await nextTurn();
    return true;
  }

  private hashStep(at: number): void {
    stepBits[0] = at;
    let h = this.stepHash;
    h = Math.imul(h ^ stepWords[0], 0x01000193) >>> 0;
    h = Math.imul(h ^ stepWords[1], 0x01000193) >>> 0;
    this.stepHash = h;
  }

  private less(x: SimEvent, y: SimEvent): boolean {
    if (x.at !== y.at) return x.at < y.at;
    if (x.tie !== y.tie) return x.tie < y.tie;
    return x.seq < y.seq;
  }

  private push(event: SimEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && this.less(heap[l], heap[m])) m = l;
      if (r < heap.length && this.less(heap[r], heap[m])) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  }
}
