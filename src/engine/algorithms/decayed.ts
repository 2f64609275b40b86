import { TopologyError } from '../errors.js';
import { toMillis, type Duration } from '../duration.js';
import { checkHeader, finiteNumber, SketchStateError, stateSerde, VERSION, type Aggregator, zeroed } from './aggregator.js';

export interface DecayedAverageOptions<V> {
  /** After this much event time a value weighs half as much ('30s', '5m', or ms). */
  readonly halfLife: Duration;
  /**
   * The record's event time in ms, from its value (aggregations see values, not record
   * timestamps): usually the same function as the stream's `timestamp` option.
   */
  readonly timestamp: (value: V) => number;
}

/**
 * Exponentially decayed average over event time (forward decay, Cormode et al. 2009): each value
 * weighs 2^(-(T - t)/halfLife), where t is its event time and T the latest event time seen, so
 *
 *     result = Σ v·2^(-(T - t)/h) / Σ 2^(-(T - t)/h).
 *
 * Exact, not an approximation: the only error is floating-point rounding (relative 1e-12 in the
 * tests). The result does not depend on the order records arrive in (out-of-order records
 * weigh what their event time says), and merging two states gives the state of the union
 * (session windows). The state is 26 bytes: the reference time T and the decayed sum and
 * weight at T. `fn` picks the value; null or undefined skips the record; NaN or ±Infinity is
 * an error (the record goes to the dead-letter topic). Result: the average, or null before
 * any value.
 */
export function decayedAverage<V>(
  fn: (value: V) => number | null | undefined,
  options: DecayedAverageOptions<V>,
): Aggregator<V, Buffer, number | null> {
  const halfLife = toMillis(options.halfLife, 'halfLife');
  if (!(halfLife > 0)) throw new TopologyError(`decayedAverage halfLife must be > 0, got ${String(options.halfLife)}`);
  const ts = options.timestamp;
  if (typeof ts !== 'function') throw new TopologyError('decayedAverage needs a timestamp: (value) => event time in ms');
  return {
    kind: 'decayedAverage',
    init: () => decayCreate(),
    add: (acc, value) => {
      const x = fn(value);
      if (x === null || x === undefined) return acc;
      return decayAdd(acc, finiteNumber(x, 'decayedAverage value'), finiteNumber(ts(value), 'decayedAverage timestamp'), halfLife);
    },
    merge: (a, b) => decayMerge(a, b, halfLife),
    result: (acc) => decayResult(acc),
    stateSerde: stateSerde('decayedAverage', validateDecay),
  };
}

// State: [0x44 'D'][version][T f64][sum f64][weight f64], sum and weight decayed to time T.
const TAG = 0x44;
const SIZE = 26;

export function decayCreate(): Buffer {
  const b = zeroed(SIZE);
  b[0] = TAG;
  b[1] = VERSION;
  b.writeDoubleBE(-Infinity, 2);
  return b;
}

export function decayAdd(b: Buffer, x: number, t: number, halfLife: number): Buffer {
  if (b[0] !== TAG) throw new SketchStateError('decayedAverage: not a decayed-average state');
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const T = dv.getFloat64(2);
  let sum = dv.getFloat64(10);
  let weight = dv.getFloat64(18);
  if (t > T) {
    // Move the reference time forward: everything so far decays.
    const f = T === -Infinity ? 0 : 2 ** (-(t - T) / halfLife);
    sum = sum * f + x;
    weight = weight * f + 1;
    dv.setFloat64(2, t);
  } else {
    const f = 2 ** (-(T - t) / halfLife);
    sum += x * f;
    weight += f;
  }
  dv.setFloat64(10, sum);
  dv.setFloat64(18, weight);
  return b;
}

export function decayMerge(a: Buffer, b: Buffer, halfLife: number): Buffer {
  if (a[0] !== TAG || b[0] !== TAG) throw new SketchStateError('decayedAverage: not a decayed-average state');
  const ta = a.readDoubleBE(2);
  const tb = b.readDoubleBE(2);
  if (tb === -Infinity) return a;
  if (ta === -Infinity) return Buffer.from(b);
  const T = Math.max(ta, tb);
  const fa = 2 ** (-(T - ta) / halfLife);
  const fb = 2 ** (-(T - tb) / halfLife);
  a.writeDoubleBE(T, 2);
  a.writeDoubleBE(a.readDoubleBE(10) * fa + b.readDoubleBE(10) * fb, 10);
  a.writeDoubleBE(a.readDoubleBE(18) * fa + b.readDoubleBE(18) * fb, 18);
  return a;
}

export function decayResult(b: Buffer): number | null {
  if (b[0] !== TAG) throw new SketchStateError('decayedAverage: not a decayed-average state');
  const w = b.readDoubleBE(18);
  return w > 0 ? b.readDoubleBE(10) / w : null;
}

function validateDecay(b: Buffer): void {
  checkHeader(b, TAG, 'decayed average', SIZE);
  if (b.length !== SIZE) throw new SketchStateError('decayed average: state of the wrong length');
  const t = b.readDoubleBE(2);
  const s = b.readDoubleBE(10);
  const w = b.readDoubleBE(18);
  if (Number.isNaN(t) || t === Infinity || !Number.isFinite(s) || !(w >= 0 && Number.isFinite(w))) {
    throw new SketchStateError('decayed average: bad fields');
  }
}
