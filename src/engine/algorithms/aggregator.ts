import { TopologyError } from '../errors.js';
import type { Serde } from '../serdes.js';

/**
 * A stream aggregation as a value: the accumulator's life cycle (`init`, `add`, `merge`), what it
 * emits (`result`) and how its state is written (`stateSerde`). Shaped like the engine's internal
 * aggregation (kind/init/add/merge/result), so window, session and table operators can run it.
 *
 * The sketches' accumulators *are* their compact binary encoding: a Buffer that `add` updates in
 * place where it can (HyperLogLog registers, count-min counters, Space-Saving counts) and replaces
 * when it must grow. So writing the state to a store or changelog after every record costs one
 * copy of a few hundred bytes to a few KiB, and no per-field encoding. `add` and `merge` may
 * mutate the accumulator they are given and return it (or a new one): pass each accumulator to at
 * most one of them and use the returned value from then on.
 *
 * The functions are plain properties (no `this`), so they can also be passed one by one:
 * `windowed.aggregate(a.init, a.add, a.merge).mapValues(a.result)`.
 */
export interface Aggregator<V, A, R> {
  /** Names the operator in describe() and default names: 'approxDistinct', 'countMin', ... */
  readonly kind: string;
  readonly init: () => A;
  readonly add: (acc: A, value: V) => A;
  /** Combines two accumulators built with the same options (session windows merging, partial aggregates). */
  readonly merge: (a: A, b: A) => A;
  readonly result: (acc: A) => R;
  /** The accumulator's binary form; `deserialize` validates and throws a SketchStateError on bad bytes. */
  readonly stateSerde: Serde<A>;
}

/** Bytes that are not a valid state of the sketch they were given to (wrong kind, options, length). */
export class SketchStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SketchStateError';
  }
}

/** Every state starts with a tag byte naming its kind and a format version byte. */
export const VERSION = 1;

export function checkHeader(b: Buffer, tag: number, what: string, minLength: number): void {
  if (!Buffer.isBuffer(b)) throw new SketchStateError(`${what}: state must be a Buffer, got ${typeof b}`);
  if (b.length < minLength || b[0] !== tag) throw new SketchStateError(`${what}: not a ${what} state`);
  if (b[1] !== VERSION) throw new SketchStateError(`${what}: unknown state version ${b[1]}`);
}

/**
 * A Serde over the state: serialize validates and returns the state without spare room (`trim`,
 * a view), deserialize copies and validates.
 */
export function stateSerde(name: string, validate: (b: Buffer) => void, trim: (b: Buffer) => Buffer = (b) => b): Serde<Buffer> {
  return {
    name,
    serialize: (b) => {
      validate(b);
      return trim(b);
    },
    deserialize: (bytes) => {
      const b = Buffer.from(bytes);
      validate(b);
      return b;
    },
  };
}

/** An option that must be an integer in [min, max]; a TopologyError (the topology is declared wrong) if not. */
export function positiveInt(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new TopologyError(`${what} must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
  return v;
}

export function finiteNumber(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${what} must be a finite number, got ${String(v)}`);
  return v;
}

/** A weight: a finite number >= 0. */
export function weightOf(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`weight must be a finite number >= 0, got ${String(v)}`);
  return v;
}

/**
 * A zero-filled Buffer from Node's pool when small (Buffer.alloc never pools): cheap for the
 * many short-lived states, and never old memory in a state that is written to a changelog.
 */
export function zeroed(size: number): Buffer {
  return Buffer.allocUnsafe(size).fill(0);
}
