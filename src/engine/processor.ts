import type { RecordHeader } from '../records/record.js';
import type { Duration } from './duration.js';

/**
 * The Processor API: custom operators with keyed state and timers, for what the built-in
 * operators do not cover (deduplication, pattern detection, custom windows).
 *
 * Lifecycle, per task (one processor instance per task, made by the supplier):
 *
 * 1. `init(ctx)` — once, before the first record and after the task's state was restored.
 *    Declare state here (`ctx.state.value('seen', { ttl: '1h' })`); keep the handles.
 * 2. `process(record, ctx)` — per record, synchronously. `ctx.key` is the record's key and every
 *    state handle reads and writes that key's state. Emit with `ctx.forward`. Throwing sends the
 *    record to the dead-letter topic; state writes made before the throw stay.
 * 3. `onTimer(timer, ctx)` — when a timer registered for a key fires: an event-time timer when the
 *    watermark reaches its time, a processing-time timer when the wall clock does. `ctx.key` is
 *    the key it was registered for. Timers are part of the state: they survive a restore.
 * 4. `close()` — the task is closing (shutdown, or the partition moves to another process). Do not
 *    emit; the state is already safe in the changelog.
 *
 * All methods but `process` are optional (no-ops). State lives in the store
 * `<processor name>-state`, timers in `<processor name>-timers`: name your processors
 * (`process(p, { name: 'dedupe' })`) so that a changed topology keeps its state.
 */
export interface ProcessorLike<K, V, KOut, VOut> {
  init?(ctx: ProcessorContext<K, KOut, VOut>): void;
  process(record: ProcessorRecord<K, V>, ctx: ProcessorContext<K, KOut, VOut>): void;
  onTimer?(timer: TimerFiring, ctx: ProcessorContext<K, KOut, VOut>): void;
  close?(): void;
}

/** Base class for processors: keeps the context in `this.ctx`; init/onTimer/close are no-ops. */
export abstract class Processor<K, V, KOut = K, VOut = V> implements ProcessorLike<K, V, KOut, VOut> {
  protected ctx!: ProcessorContext<K, KOut, VOut>;
  init(ctx: ProcessorContext<K, KOut, VOut>): void {
    this.ctx = ctx;
  }
  abstract process(record: ProcessorRecord<K, V>, ctx: ProcessorContext<K, KOut, VOut>): void;
  onTimer(_timer: TimerFiring, _ctx: ProcessorContext<K, KOut, VOut>): void {}
  close(): void {}
}

/** Makes the processor of one task. */
export type ProcessorSupplier<K, V, KOut, VOut> = () => ProcessorLike<K, V, KOut, VOut>;

export interface ProcessorRecord<K, V> {
  readonly key: K;
  readonly value: V;
  /** Event time, ms. */
  readonly timestamp: number;
  readonly headers: readonly RecordHeader[];
}

export interface TimerFiring {
  /** The time the timer was registered for. */
  readonly time: number;
  readonly domain: 'event' | 'processing';
}

export interface ProcessorContext<K, KOut, VOut> {
  /** The key of the record being processed, or of the timer firing. */
  readonly key: K;
  /** The record's event time, or the timer's time. */
  readonly timestamp: number;
  /** The operator's event-time watermark. */
  readonly watermark: number;
  /** Wall-clock time as the runtime last told the task. */
  readonly wallClock: number;
  readonly taskId: string;
  readonly partition: number;
  readonly state: KeyedState;
  readonly timers: Timers;
  /** Emits a record downstream (timestamp defaults to the current one). */
  forward(key: KOut, value: VOut, options?: { timestamp?: number; headers?: readonly RecordHeader[] }): void;
}

export interface StateOptions {
  /** An entry expires this long after it was last written. */
  readonly ttl?: Duration;
  /**
   * 'event' (default): written at the record's event time, expired once the watermark passes
   * written + ttl — replaying the input gives the same result. 'processing': by the wall clock.
   */
  readonly ttlTime?: 'event' | 'processing';
}

/** Keyed state, scoped to the current key. Names are per processor and must be stable. */
export interface KeyedState {
  value<T>(name: string, options?: StateOptions): ValueState<T>;
  list<T>(name: string, options?: StateOptions): ListState<T>;
  map<MK, MV>(name: string, options?: StateOptions): MapState<MK, MV>;
}

/**
 * A value per key. The state holds the object itself between commits (as Flink's heap state
 * backend does) and writes it to its store and changelog once per commit: `get()` returns that
 * object, not a copy. Change state through `set()` — a mutation without `set()` is not written to
 * the changelog and is lost on a restore. A `process()` or `onTimer()` that throws has no effect
 * at all: the task rolls back to its last commit and replays without the record, which goes to
 * the dead-letter topic (docs/semantics.md, "Errors"), so state it changed before throwing, in
 * place or through `set()`, and records it forwarded are undone.
 */
export interface ValueState<T> {
  get(): T | undefined;
  set(value: T): void;
  clear(): void;
}

export interface ListState<T> {
  get(): T[];
  add(value: T): void;
  set(values: readonly T[]): void;
  clear(): void;
}

/**
 * A map per key. As ValueState, each entry's value is held as the object itself between commits
 * and written to the store and changelog once per commit: `get(k)` returns that object, not a
 * copy, and a change to it reaches the changelog only through `set(k, v)`.
 */
export interface MapState<MK, MV> {
  get(key: MK): MV | undefined;
  has(key: MK): boolean;
  set(key: MK, value: MV): void;
  delete(key: MK): void;
  entries(): Array<[MK, MV]>;
  clear(): void;
}

/** Timers of the current key. Registering the same time twice registers one timer. */
export interface Timers {
  registerEventTime(time: number): void;
  registerProcessingTime(time: number): void;
  deleteEventTime(time: number): void;
  deleteProcessingTime(time: number): void;
}
