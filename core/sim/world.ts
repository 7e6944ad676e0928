import { assert } from '../assert.ts';

/**
 * Simulated time: a queue of callbacks ordered by (time, sequence), run one at a time.
 *
 * Microtasks. The node driver `await`s Storage writes, and SimStorage settles those promises
 * from world events. A promise's continuation is a microtask: it runs only once the JavaScript
 * stack unwinds, so a fully synchronous run loop would run every later event first (the
 * continuation, e.g. "persisted, now send the acks", would happen at the wrong simulated time).
 * Runs would still be deterministic (the microtask queue is FIFO and fed only by our own code),
 * but time would be wrong.
 *
 * Choice: the run methods are `async`, and after an event during which a promise was settled
 * they yield `microtaskTurns` times (`await undefined`), so continuations up to that many
 * microtask hops deep run at the simulated time of the event that settled the promise, before
 * any later event. Whoever settles a promise inside a world event says so with
 * `noteSettledPromise()` (SimStorage does). Events that settle nothing cost no await at all, so
 * the loop stays a plain synchronous loop for network and timer traffic. Measured on Node 20:
 * an event costs about 200 ns (heap, id map, closure); one `await` about 55 ns, so the drain
 * after a storage completion adds about 0.9 us (16 turns), and other events pay nothing. Three
 * nested async functions need 2 turns; 16 leave room. A deeper chain, or one started by a
 * promise nobody noted, still runs deterministically, only later in simulated time.
 *
 * Pure JavaScript offers no way to wait until the microtask queue is empty (that needs a
 * macrotask such as setImmediate, which core/ may not use), hence the bounded turns.
 */
export interface SimWorldOptions {
  /** How many microtask turns to yield after an event that settled a promise. Default 16. */
  readonly microtaskTurns?: number;
}

/**
 * Why `runEvents` returned: no event was due (idle); the last event settled a promise (drain);
 * the predicate turned false (predicate); events ran and then none was due or the budget ran out
 * (ran).
 */
type Stop = 'idle' | 'drain' | 'predicate' | 'ran';

interface WorldEvent {
  readonly time: number;
  /** The event id: increases with every schedule, so it breaks ties between equal times FIFO. */
  readonly sequence: number;
  /** Null once cancelled: the event stays in the heap until it reaches the top (lazy deletion). */
  callback: (() => void) | null;
}

export class SimWorld {
  /** Simulated milliseconds since the start of the run. Only moves forward. */
  now = 0;
  /** Events that have run (not counting cancelled ones). */
  eventsRun = 0;
  private readonly microtaskTurns: number;
  /** Binary min-heap on (time, sequence). May hold cancelled events (see `cancelledInHeap`). */
  private readonly heap: WorldEvent[] = [];
  /** Invariant: exactly the events in the heap whose callback is not null. */
  private readonly pending = new Map<number, WorldEvent>();
  private cancelledInHeap = 0;
  private lastSequence = 0;
  private settledPromise = false;
  /** True while an event callback runs: the run loop must not be re-entered from one. */
  private running = false;
  /** True while a run method is active: two overlapping `await`ed runs would interleave. */
  private looping = false;

  constructor(options: SimWorldOptions = {}) {
    const turns = options.microtaskTurns ?? 16;
    assert(Number.isInteger(turns) && turns >= 0, () => `SimWorld: microtaskTurns ${turns} must be an integer >= 0`);
    this.microtaskTurns = turns;
  }

  /** Events scheduled and neither run nor cancelled. */
  get pendingEvents(): number {
    return this.pending.size;
  }

  /** Schedules `callback` at absolute time `atMs` (>= now). Returns its id for `cancel`. */
  schedule(atMs: number, callback: () => void): number {
    assert(Number.isFinite(atMs), () => `SimWorld.schedule: time ${atMs} is not finite`);
    assert(atMs >= this.now, () => `SimWorld.schedule: time ${atMs} is before now ${this.now}`);
    const event: WorldEvent = { time: atMs, sequence: ++this.lastSequence, callback };
    this.pending.set(event.sequence, event);
    this.heap.push(event);
    siftUp(this.heap, this.heap.length - 1);
    return event.sequence;
  }

  scheduleAfter(delayMs: number, callback: () => void): number {
    assert(delayMs >= 0, () => `SimWorld.scheduleAfter: delay ${delayMs} < 0`);
    return this.schedule(this.now + delayMs, callback);
  }

  /** Cancels a pending event; an id that already ran or was cancelled is ignored. O(1). */
  cancel(id: number): void {
    const event = this.pending.get(id);
    if (event === undefined) return;
    this.pending.delete(id);
    event.callback = null;
    this.cancelledInHeap++;
    // Keep garbage bounded when timers are reset far more often than they fire.
    if (this.cancelledInHeap > 64 && this.cancelledInHeap * 2 > this.heap.length) this.compact();
  }

  /**
   * Says that the running event settled a promise: the run loop yields to microtasks before the
   * next event. Call it from event callbacks only.
   */
  noteSettledPromise(): void {
    this.settledPromise = true;
  }

  /** Time of the earliest pending event, or null. */
  nextEventTime(): number | null {
    this.dropCancelledTop();
    return this.heap[0]?.time ?? null;
  }

  /** Runs the earliest event (then its microtasks). False if there was none. */
  async step(): Promise<boolean> {
    this.enterLoop();
    try {
      const stop = this.runEvents(Infinity, null, 1);
      if (stop === 'drain') await this.drainMicrotasks();
      return stop !== 'idle';
    } finally {
      this.looping = false;
    }
  }

  /** Runs every event with time <= timeMs, in order, then sets now = timeMs. */
  async runUntil(timeMs: number): Promise<void> {
    assert(timeMs >= this.now, () => `SimWorld.runUntil: ${timeMs} is before now ${this.now}`);
    this.enterLoop();
    try {
      while (this.runEvents(timeMs, null, Infinity) === 'drain') await this.drainMicrotasks();
      this.now = timeMs;
    } finally {
      this.looping = false;
    }
  }

  /**
   * Runs events while `predicate()` holds (checked before each event, after microtasks) and the
   * next event is at or before `untilMs`. Returns true if it stopped because the predicate turned
   * false; false if the deadline came first, and then now = untilMs.
   */
  async runWhile(predicate: () => boolean, untilMs: number): Promise<boolean> {
    assert(untilMs >= this.now, () => `SimWorld.runWhile: ${untilMs} is before now ${this.now}`);
    this.enterLoop();
    try {
      let stop: Stop;
      while ((stop = this.runEvents(untilMs, predicate, Infinity)) === 'drain') await this.drainMicrotasks();
      if (stop === 'predicate') return true;
      this.now = untilMs;
      return !predicate();
    } finally {
      this.looping = false;
    }
  }

  private enterLoop(): void {
    assert(!this.looping, 'SimWorld: a run is already in progress (missing await?)');
    this.looping = true;
  }

  /**
   * Runs events in order, synchronously, until: none is left at or before limitMs (idle), an
   * event settled a promise (drain: the caller must yield to microtasks), the predicate is false
   * before an event, or `maxEvents` ran. Kept out of the async callers: V8 optimizes a plain loop
   * better than one inside a resumable function.
   */
  private runEvents(limitMs: number, predicate: (() => boolean) | null, maxEvents: number): Stop {
    assert(!this.running, 'SimWorld: run loop entered from inside an event');
    const heap = this.heap;
    let ran = 0;
    this.running = true;
    try {
      for (;;) {
        if (ran >= maxEvents) return 'ran';
        if (predicate !== null && !predicate()) return 'predicate';
        this.dropCancelledTop();
        const event = heap[0];
        if (event === undefined || event.time > limitMs) return ran > 0 ? 'ran' : 'idle';
        popTop(heap);
        const callback = event.callback;
        assert(callback !== null, 'SimWorld: cancelled event at the top of the heap');
        assert(event.time >= this.now, () => `SimWorld: event at ${event.time} is before now ${this.now}`);
        this.pending.delete(event.sequence);
        this.now = event.time;
        this.eventsRun++;
        ran++;
        callback();
        if (this.settledPromise) return 'drain';
      }
    } finally {
      this.running = false;
    }
  }

  private async drainMicrotasks(): Promise<void> {
    // A continuation may itself settle a noted promise; the loop is bounded by turns per note.
    while (this.settledPromise) {
      this.settledPromise = false;
      for (let turn = 0; turn < this.microtaskTurns; turn++) await undefined;
    }
  }

  private dropCancelledTop(): void {
    const heap = this.heap;
    while (heap.length > 0 && (heap[0] as WorldEvent).callback === null) {
      popTop(heap);
      this.cancelledInHeap--;
    }
  }

  /** Rebuilds the heap without cancelled events. O(n); amortized by the trigger in `cancel`. */
  private compact(): void {
    // In place: the run loop holds a reference to this very array while callbacks cancel events.
    const heap = this.heap;
    let live = 0;
    for (let index = 0; index < heap.length; index++) {
      const event = heap[index] as WorldEvent;
      if (event.callback !== null) heap[live++] = event;
    }
    heap.length = live;
    for (let index = (live >>> 1) - 1; index >= 0; index--) siftDown(heap, index);
    this.cancelledInHeap = 0;
    assert(live === this.pending.size, () => `SimWorld: heap ${live} != pending ${this.pending.size}`);
  }
}

function before(a: WorldEvent, b: WorldEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.sequence < b.sequence);
}

function popTop(heap: WorldEvent[]): void {
  const last = heap.pop() as WorldEvent;
  if (heap.length === 0) return;
  heap[0] = last;
  siftDown(heap, 0);
}

function siftUp(heap: WorldEvent[], start: number): void {
  const event = heap[start] as WorldEvent;
  let index = start;
  while (index > 0) {
    const parentIndex = (index - 1) >>> 1;
    const parent = heap[parentIndex] as WorldEvent;
    if (!before(event, parent)) break;
    heap[index] = parent;
    index = parentIndex;
  }
  heap[index] = event;
}

function siftDown(heap: WorldEvent[], start: number): void {
  const length = heap.length;
  const event = heap[start] as WorldEvent;
  let index = start;
  for (;;) {
    const left = 2 * index + 1;
    if (left >= length) break;
    const right = left + 1;
    let child = left;
    if (right < length && before(heap[right] as WorldEvent, heap[left] as WorldEvent)) child = right;
    const childEvent = heap[child] as WorldEvent;
    if (!before(childEvent, event)) break;
    heap[index] = childEvent;
    index = child;
  }
  heap[index] = event;
}
