import { assert } from '../assert.ts';
import { applyPersistOps } from '../persist-batch.ts';
import type { PersistOp, PersistedState, Storage } from '../storage.ts';
import { EMPTY_PERSISTED_STATE } from '../storage.ts';
import type { Prng } from './prng.ts';
import type { SimWorld } from './world.ts';

function labelOf(options: SimStorageOptions): string {
  return options.label ?? 'sim-';
}

export interface SimStorageOptions {
  /** Prefix of the storageIds this storage takes (e.g. `s2-`), for readable traces. */
  readonly label?: string;
  /** Time a write (or a load) takes to complete, drawn uniformly per call (integer ms). */
  readonly writeLatencyMsMin: number;
  readonly writeLatencyMsMax: number;
  /** Probability that a write in flight at a crash lands (all of it). Default 0.5. */
  readonly landProbabilityAtCrash?: number;
  /** The durable state before the first open (e.g. one a checker wants to boot from). */
  readonly initialState?: PersistedState;
}

export interface SimStorageCounters {
  /** write() calls accepted on a live handle. */
  writes: number;
  /** Batches that became durable (completed, or landed at a crash). */
  batches: number;
  /** Ops in those batches. */
  ops: number;
  crashes: number;
  /** Batches in flight at a crash that landed / were lost. */
  batchesLandedAtCrash: number;
  batchesLostAtCrash: number;
}

/** A write issued and not yet durable. */
interface InFlightWrite {
  readonly eventId: number;
  /** The durable state once this write lands: computed at issue, so bugs fail in the caller. */
  readonly result: PersistedState;
  readonly opCount: number;
  readonly resolve: () => void;
}

const NEVER = (): Promise<never> => new Promise<never>(() => {});

/**
 * The durable storage of one server, across its crashes. `open()` gives the Storage of the
 * current incarnation; `crash()` kills it: each write in flight lands entirely or not at all
 * (the PRNG decides, in issue order: once one is lost, later ones are lost too), its promise
 * never settles, and every later call on the dead handle never settles either.
 *
 * Writes complete in issue order, each after a random latency (and never before the previous
 * one); loads queue behind writes, as IndexedDB transactions do. Promises are settled from world
 * events, which call `world.noteSettledPromise()` so the driver's continuation runs at that
 * simulated time (see SimWorld).
 */
export class SimStorage {
  readonly counters: SimStorageCounters = {
    writes: 0,
    batches: 0,
    ops: 0,
    crashes: 0,
    batchesLandedAtCrash: 0,
    batchesLostAtCrash: 0,
  };
  private readonly world: SimWorld;
  private readonly prng: Prng;
  private options: SimStorageOptions;
  private readonly landProbabilityAtCrash: number;
  /** Invariant: only replaced, never mutated. */
  private durable: PersistedState;
  /** The state once every write in flight lands: what the next write applies to. */
  private issued: PersistedState;
  /** Invariant: in issue order; completion events are at non-decreasing times. */
  private inFlight: InFlightWrite[] = [];
  /** Pending loadState completions of the live handle, cancelled at a crash. */
  private readonly loadEvents = new Set<number>();
  /** Bumped by crash(): a handle works only while its incarnation is the current one. */
  private incarnation = 0;
  private handleOpen = false;
  private lastCompletionMs = 0;
  /** Which storage this is (core/seats.ts): a wipe makes a new one, a rollback keeps it. */
  private storageId: string;
  private storagesMade = 0;
  /** Durable states kept for `rollBack`: what an old copy of this database would hold. */
  private readonly copies: PersistedState[] = [];
  /** Extra latency for the next completion of one kind (scenario tests: one slow write or reload). */
  private extraDelayNext: { readonly kind: 'write' | 'load'; readonly ms: number } | null = null;

  constructor(world: SimWorld, prng: Prng, options: SimStorageOptions) {
    assert(Number.isInteger(options.writeLatencyMsMin), () => `SimStorage: writeLatencyMsMin ${options.writeLatencyMsMin}`);
    assert(
      Number.isInteger(options.writeLatencyMsMax) && options.writeLatencyMsMax >= options.writeLatencyMsMin,
      `SimStorage: writeLatencyMsMax ${options.writeLatencyMsMax} < min ${options.writeLatencyMsMin}`,
    );
    this.world = world;
    this.prng = prng;
    this.options = options;
    this.landProbabilityAtCrash = options.landProbabilityAtCrash ?? 0.5;
    this.durable = options.initialState ?? EMPTY_PERSISTED_STATE;
    this.issued = this.durable;
    this.storageId = this.newStorageId();
  }

  private newStorageId(): string {
    return `${labelOf(this.options)}${this.storagesMade++}-${this.prng.int(0, 0xffffff).toString(16)}`;
  }

  get id(): string {
    return this.storageId;
  }

  /**
   * Amnesia: the server's storage is replaced by an empty one with a new storageId (another
   * browser profile takes the seat, site data is cleared). Only while the server is down.
   */
  wipe(): void {
    assert(!this.handleOpen, 'SimStorage.wipe: the server is running');
    this.durable = EMPTY_PERSISTED_STATE;
    this.issued = this.durable;
    this.copies.length = 0;
    this.storageId = this.newStorageId();
  }

  /** Keeps a copy of the durable state that `rollBack` may later restore (at most `keep`, oldest dropped). */
  keepCopy(keep = 8): void {
    this.copies.push(this.durable);
    if (this.copies.length > keep) this.copies.shift();
  }

  /** The copies `rollBack` may choose from, oldest first. */
  keptCopies(): readonly PersistedState[] {
    return this.copies;
  }

  /** An old copy of the database comes back, with the same storageId (a restored backup). Only while down. */
  rollBack(copy: PersistedState): void {
    assert(!this.handleOpen, 'SimStorage.rollBack: the server is running');
    this.durable = copy;
    this.issued = copy;
    // Copies newer than the one restored were never made, as far as this storage is concerned.
    const index = this.copies.indexOf(copy);
    if (index >= 0) this.copies.splice(index);
  }

  /** A disk that gets slower or faster (another tab hogging IndexedDB); applies to writes issued from now on. */
  setWriteLatency(writeLatencyMsMin: number, writeLatencyMsMax: number): void {
    assert(Number.isInteger(writeLatencyMsMin) && Number.isInteger(writeLatencyMsMax) && writeLatencyMsMin <= writeLatencyMsMax, () => `SimStorage.setWriteLatency(${writeLatencyMsMin}, ${writeLatencyMsMax})`);
    this.options = { ...this.options, writeLatencyMsMin, writeLatencyMsMax };
  }

  /**
   * The next write (or load) issued completes `ms` later than it would: one slow IndexedDB
   * transaction, as a scenario chooses. Later completions still keep issue order behind it.
   */
  delayNext(kind: 'write' | 'load', ms: number): void {
    assert(Number.isFinite(ms) && ms >= 0, () => `SimStorage.delayNext(${kind}, ${ms})`);
    this.extraDelayNext = { kind, ms };
  }

  /** Replaces the durable state of a server that is down: it boots from `state` (a scenario's chosen disk). */
  setDurable(state: PersistedState): void {
    assert(!this.handleOpen, 'SimStorage.setDurable: the server is running (crash it first)');
    this.durable = state;
    this.issued = state;
  }

  /** The Storage of the server's current incarnation. One live handle at a time. */
  open(): Storage {
    assert(!this.handleOpen, 'SimStorage.open: a live handle exists (crash() the old incarnation first)');
    assert(this.inFlight.length === 0, () => `SimStorage.open: ${this.inFlight.length} writes in flight`);
    this.handleOpen = true;
    const incarnation = this.incarnation;
    return {
      storageId: this.storageId,
      loadState: () => (this.isLive(incarnation) ? this.loadState() : NEVER()),
      write: (batch) => (this.isLive(incarnation) ? this.write(batch) : NEVER()),
    };
  }

  /** The current incarnation dies. Safe to call with no live handle (a server that never opened). */
  crash(): void {
    let landing = true;
    for (const write of this.inFlight) {
      this.world.cancel(write.eventId);
      landing = landing && this.prng.chance(this.landProbabilityAtCrash);
      if (landing) {
        this.makeDurable(write);
        this.counters.batchesLandedAtCrash++;
      } else {
        this.counters.batchesLostAtCrash++;
      }
    }
    for (const eventId of this.loadEvents) this.world.cancel(eventId);
    this.loadEvents.clear();
    this.inFlight = [];
    this.issued = this.durable;
    this.lastCompletionMs = 0;
    this.incarnation++;
    this.handleOpen = false;
    this.counters.crashes++;
  }

  /** The durable state: what a restart would load. For checkers; treat as immutable. */
  state(): PersistedState {
    return this.durable;
  }

  /** Writes issued by the live handle and not yet durable. */
  get writesInFlight(): number {
    return this.inFlight.length;
  }

  private isLive(incarnation: number): boolean {
    return this.handleOpen && incarnation === this.incarnation;
  }

  private write(batch: readonly PersistOp[]): Promise<void> {
    // Applied now to the state after the writes ahead of it: a bad batch throws to the caller.
    const result = applyPersistOps(this.issued, batch);
    this.issued = result;
    this.counters.writes++;
    return new Promise<void>((resolve) => {
      const eventId = this.world.schedule(this.nextCompletionMs('write'), () => this.complete(write));
      const write: InFlightWrite = { eventId, result, opCount: batch.length, resolve };
      this.inFlight.push(write);
    });
  }

  private complete(write: InFlightWrite): void {
    const first = this.inFlight.shift();
    assert(first === write, () => `SimStorage: write completed out of issue order (event ${write.eventId})`);
    this.makeDurable(write);
    write.resolve();
    this.world.noteSettledPromise();
  }

  private loadState(): Promise<PersistedState> {
    return new Promise<PersistedState>((resolve) => {
      const eventId = this.world.schedule(this.nextCompletionMs('load'), () => {
        this.loadEvents.delete(eventId);
        resolve(this.durable);
        this.world.noteSettledPromise();
      });
      this.loadEvents.add(eventId);
    });
  }

  private makeDurable(write: InFlightWrite): void {
    this.durable = write.result;
    this.counters.batches++;
    this.counters.ops += write.opCount;
  }

  /** Completions keep issue order: never before the previous one. */
  private nextCompletionMs(kind: 'write' | 'load'): number {
    let latencyMs = this.prng.int(this.options.writeLatencyMsMin, this.options.writeLatencyMsMax);
    if (this.extraDelayNext?.kind === kind) {
      latencyMs += this.extraDelayNext.ms;
      this.extraDelayNext = null;
    }
    const completionMs = Math.max(this.world.now + latencyMs, this.lastCompletionMs);
    this.lastCompletionMs = completionMs;
    return completionMs;
  }
}
