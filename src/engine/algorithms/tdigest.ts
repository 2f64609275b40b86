import { TopologyError } from '../errors.js';
import { checkHeader, finiteNumber, SketchStateError, stateSerde, VERSION, type Aggregator, zeroed } from './aggregator.js';

export interface QuantilesOptions {
  /**
   * δ, the t-digest's compression (default 100, range 20..1000): at most about δ centroids
   * (16 bytes each), and rank errors shrinking as 1/δ.
   */
  readonly compression?: number;
}

/**
 * Streaming quantiles with a merging t-digest (Dunning & Ertl, "Computing extremely accurate
 * quantiles using t-digests", 2019), k1 scale function: values are clustered into centroids
 * (mean, weight), small near the tails and larger near the median, so extreme quantiles stay
 * accurate. Incoming values wait in a small buffer inside the state and are merged in batches.
 *
 * Error bounds, as rank error |F(quantile(q)) - q| (F the true empirical CDF) for compression δ:
 * a centroid at quantile q covers at most 2π·√(q(1-q))/δ of the ranks (k1's size limit), and
 * the estimate interpolates inside it, so the rank error stays below that span: for δ = 100,
 * 3.1% at the median, 1.4% at p95, 0.63% at p99, 0.2% at p99.9. Measured (50k values,
 * q from 0.001 to 0.999): worst rank error 0.06% for uniform and exponential data, 0.18% for
 * lognormal(σ=3), 0.26% for Pareto(1) — 10–45% of the bound. The minimum and maximum are exact; with
 * at most δ/2 values the digest keeps every value (exact quantiles by interpolation). The size
 * limit is enforced again at every merge, so merged digests (session windows, partial
 * aggregates) carry the same bounds, though results depend slightly on merge order.
 *
 * `fn` picks the value; null or undefined skips the record; NaN or ±Infinity is an error (the
 * record goes to the dead-letter topic). Result: a TDigest with quantile(q), cdf(x), p50, p95,
 * p99, count, min, max.
 */
export function quantiles<V>(fn: (value: V) => number | null | undefined, options: QuantilesOptions = {}): Aggregator<V, Buffer, TDigest> {
  const compression = options.compression ?? 100;
  if (!(typeof compression === 'number' && compression >= 20 && compression <= 1000)) {
    throw new TopologyError(`quantiles compression must be a number in [20, 1000], got ${String(compression)}`);
  }
  return {
    kind: 'quantiles',
    init: () => tdCreate(compression),
    add: (acc, value) => {
      const x = fn(value);
      return x === null || x === undefined ? acc : tdAdd(acc, finiteNumber(x, 'quantiles value'));
    },
    merge: (a, b) => tdMerge(a, b),
    result: (acc) => new TDigest(acc),
    stateSerde: stateSerde(`tdigest(${compression})`, (b) => validateTd(b, compression), tdTrim),
  };
}

// State: [0x54 'T'][version][0][0][compression f64][min f64][max f64][centroids u32][buffered u32]
// then centroids [mean f64][weight f64] sorted by mean, then buffered values (f64), then spare
// room for more buffered values (zeros). All BE.
const TAG = 0x54;
const HEADER = 36;

export function tdCreate(compression: number): Buffer {
  const b = zeroed(HEADER + 8 * 8);
  b[0] = TAG;
  b[1] = VERSION;
  b.writeDoubleBE(compression, 4);
  b.writeDoubleBE(Infinity, 12);
  b.writeDoubleBE(-Infinity, 20);
  return b;
}

/** Values buffered before a merge pass. */
function bufferLimit(compression: number): number {
  return Math.ceil(compression / 2);
}

export function tdAdd(b: Buffer, x: number): Buffer {
  if (b[0] !== TAG) throw new SketchStateError('quantiles: not a t-digest state');
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const compression = dv.getFloat64(4);
  const nc = dv.getUint32(28);
  const nb = dv.getUint32(32);
  if (x < dv.getFloat64(12)) dv.setFloat64(12, x);
  if (x > dv.getFloat64(20)) dv.setFloat64(20, x);
  const at = HEADER + nc * 16 + nb * 8;
  const limit = bufferLimit(compression);
  if (nb < limit) {
    if (at + 8 <= b.length) {
      dv.setFloat64(at, x);
      dv.setUint32(32, nb + 1);
      return b;
    }
    const out = zeroed(at + 8 * Math.min(limit - nb, Math.max(8, (nc * 2 + nb) >>> 2)));
    b.copy(out, 0, 0, at);
    out.writeDoubleBE(x, at);
    out.writeUInt32BE(nb + 1, 32);
    return out;
  }
  return writeTd(b, compress(sortedInput([b], x), compression));
}

/** The state without the spare room (a view, no copy). */
export function tdTrim(b: Buffer): Buffer {
  return b.subarray(0, HEADER + b.readUInt32BE(28) * 16 + b.readUInt32BE(32) * 8);
}

interface Centroids {
  readonly means: Float64Array;
  readonly weights: Float64Array;
  readonly n: number;
}

function centroidsOf(b: Buffer): Centroids {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const n = dv.getUint32(28);
  const means = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0, at = HEADER; i < n; i++, at += 16) {
    means[i] = dv.getFloat64(at);
    weights[i] = dv.getFloat64(at + 8);
  }
  return { means, weights, n };
}

function bufferedOf(b: Buffer): Float64Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const nc = dv.getUint32(28);
  const n = dv.getUint32(32);
  const out = new Float64Array(n);
  for (let i = 0, at = HEADER + nc * 16; i < n; i++, at += 8) out[i] = dv.getFloat64(at);
  return out;
}

/** Two runs sorted by mean, merged into one. */
function mergeRuns(x: Centroids, y: Centroids): Centroids {
  const n = x.n + y.n;
  const means = new Float64Array(n);
  const weights = new Float64Array(n);
  let i = 0;
  let j = 0;
  for (let k = 0; k < n; k++) {
    if (j >= y.n || (i < x.n && x.means[i]! <= y.means[j]!)) {
      means[k] = x.means[i]!;
      weights[k] = x.weights[i++]!;
    } else {
      means[k] = y.means[j]!;
      weights[k] = y.weights[j++]!;
    }
  }
  return { means, weights, n };
}

/** The states' centroids and buffered values (and `extra`), as one run sorted by mean. */
function sortedInput(states: readonly Buffer[], extra?: number): Centroids {
  const values: Float64Array[] = states.map(bufferedOf);
  let nv = extra === undefined ? 0 : 1;
  for (const v of values) nv += v.length;
  const all = new Float64Array(nv);
  let at = 0;
  for (const v of values) {
    all.set(v, at);
    at += v.length;
  }
  if (extra !== undefined) all[at] = extra;
  all.sort();
  let run: Centroids = { means: all, weights: new Float64Array(nv).fill(1), n: nv };
  for (const s of states) run = mergeRuns(centroidsOf(s), run);
  return run;
}

/**
 * One merge pass over centroids sorted by mean: sweep left to right, absorbing the next
 * centroid while the cluster stays within one unit of the k1 scale k(q) = δ/(2π)·asin(2q - 1).
 */
export function compress(input: Centroids, compression: number): Centroids {
  const { means, weights, n } = input;
  const outM = new Float64Array(n);
  const outW = new Float64Array(n);
  if (n === 0) return { means: outM, weights: outW, n: 0 };
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i]!;
  const norm = compression / (2 * Math.PI);
  const limitAfter = (wSoFar: number): number => {
    const k = Math.asin(Math.min(1, (2 * wSoFar) / total - 1)) + 1 / norm;
    return k >= Math.PI / 2 ? total : (total * (Math.sin(k) + 1)) / 2;
  };
  let k = 0;
  let curM = means[0]!;
  let curW = weights[0]!;
  let wSoFar = 0;
  let limit = limitAfter(0);
  for (let i = 1; i < n; i++) {
    const m = means[i]!;
    const w = weights[i]!;
    if (wSoFar + curW + w <= limit) {
      curW += w;
      curM += ((m - curM) * w) / curW;
    } else {
      outM[k] = curM;
      outW[k] = curW;
      k++;
      wSoFar += curW;
      limit = limitAfter(wSoFar);
      curM = m;
      curW = w;
    }
  }
  outM[k] = curM;
  outW[k] = curW;
  k++;
  return { means: outM.subarray(0, k), weights: outW.subarray(0, k), n: k };
}

function writeTd(template: Buffer, c: Centroids): Buffer {
  const out = zeroed(HEADER + c.n * 16 + 8 * 8);
  template.copy(out, 0, 0, HEADER);
  const dv = new DataView(out.buffer, out.byteOffset, out.length);
  dv.setUint32(28, c.n);
  dv.setUint32(32, 0);
  for (let i = 0, at = HEADER; i < c.n; i++, at += 16) {
    dv.setFloat64(at, c.means[i]!);
    dv.setFloat64(at + 8, c.weights[i]!);
  }
  return out;
}

/** Merges b into a (same compression): one merge pass over both digests' centroids and buffers. */
export function tdMerge(a: Buffer, b: Buffer): Buffer {
  if (a[0] !== TAG || b[0] !== TAG) throw new SketchStateError('quantiles: not a t-digest state');
  const compression = a.readDoubleBE(4);
  if (b.readDoubleBE(4) !== compression) throw new SketchStateError('quantiles: cannot merge digests of different compression');
  const out = writeTd(a, compress(sortedInput([a, b]), compression));
  out.writeDoubleBE(Math.min(a.readDoubleBE(12), b.readDoubleBE(12)), 12);
  out.writeDoubleBE(Math.max(a.readDoubleBE(20), b.readDoubleBE(20)), 20);
  return out;
}

/**
 * A t-digest's answer: approximate quantiles and ranks of the values aggregated (see
 * `quantiles()` for the error bounds). Computed from the state when first asked.
 */
export class TDigest {
  private c: Centroids | undefined;
  private totalWeight = 0;

  /** @internal */
  constructor(
    /** The digest's state (binary). */
    readonly state: Buffer,
  ) {}

  private centroids(): Centroids {
    if (!this.c) {
      const run = sortedInput([this.state]);
      // Before the first merge pass every value is still there: quantiles are exact (interpolated).
      this.c = this.state.readUInt32BE(28) === 0 || this.state.readUInt32BE(32) === 0 ? run : compress(run, this.compression);
      let t = 0;
      for (let i = 0; i < this.c.n; i++) t += this.c.weights[i]!;
      this.totalWeight = t;
    }
    return this.c;
  }

  get compression(): number {
    return this.state.readDoubleBE(4);
  }

  /** Number of values. */
  get count(): number {
    this.centroids();
    return this.totalWeight;
  }

  /** Smallest value (exact); NaN when empty. */
  get min(): number {
    return this.count === 0 ? NaN : this.state.readDoubleBE(12);
  }

  /** Largest value (exact); NaN when empty. */
  get max(): number {
    return this.count === 0 ? NaN : this.state.readDoubleBE(20);
  }

  get p50(): number {
    return this.quantile(0.5);
  }

  get p95(): number {
    return this.quantile(0.95);
  }

  get p99(): number {
    return this.quantile(0.99);
  }

  /** The value below which a fraction q of the values lie (q in [0, 1]); NaN when empty. */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
    const { means, weights, n } = this.centroids();
    if (n === 0) return NaN;
    const min = this.state.readDoubleBE(12);
    const max = this.state.readDoubleBE(20);
    if (n === 1) return means[0]!;
    const total = this.totalWeight;
    const index = q * total;
    if (index < 1) return min;
    if (index > total - 1) return max;
    const w0 = weights[0]!;
    if (w0 > 1 && index < w0 / 2) return min + ((index - 1) / (w0 / 2 - 1)) * (means[0]! - min);
    const wn = weights[n - 1]!;
    if (wn > 1 && total - index <= wn / 2) return max - ((total - index - 1) / (wn / 2 - 1)) * (max - means[n - 1]!);
    let wSoFar = w0 / 2;
    for (let i = 0; i < n - 1; i++) {
      const wl = weights[i]!;
      const wr = weights[i + 1]!;
      const dw = (wl + wr) / 2;
      if (wSoFar + dw > index) {
        let leftUnit = 0;
        if (wl === 1) {
          if (index - wSoFar < 0.5) return means[i]!;
          leftUnit = 0.5;
        }
        let rightUnit = 0;
        if (wr === 1) {
          if (wSoFar + dw - index <= 0.5) return means[i + 1]!;
          rightUnit = 0.5;
        }
        const z1 = index - wSoFar - leftUnit;
        const z2 = wSoFar + dw - index - rightUnit;
        return weightedAverage(means[i]!, z2, means[i + 1]!, z1);
      }
      wSoFar += dw;
    }
    return max;
  }

  /** The fraction of values at or below x (values equal to x count half); NaN when empty. */
  cdf(x: number): number {
    const { means, weights, n } = this.centroids();
    if (n === 0) return NaN;
    const min = this.state.readDoubleBE(12);
    const max = this.state.readDoubleBE(20);
    const total = this.totalWeight;
    if (x < min) return 0;
    if (x > max) return 1;
    if (n === 1) return max - min <= 0 ? 0.5 : (x - min) / (max - min);
    const m0 = means[0]!;
    if (x < m0) {
      const w = weights[0]!;
      if (m0 - min <= 0) return 0;
      return Math.max(0, (1 + ((x - min) / (m0 - min)) * (w / 2 - 1)) / total);
    }
    const mn = means[n - 1]!;
    if (x > mn) {
      const w = weights[n - 1]!;
      if (max - mn <= 0) return 1;
      return Math.min(1, 1 - (1 + ((max - x) / (max - mn)) * (w / 2 - 1)) / total);
    }
    let wSoFar = 0;
    for (let i = 0; i < n; i++) {
      const m = means[i]!;
      if (m === x) {
        let dw = 0;
        while (i < n && means[i] === x) dw += weights[i++]!;
        return (wSoFar + dw / 2) / total;
      }
      const next = means[i + 1]!;
      if (m < x && x < next) {
        const wl = weights[i]!;
        const wr = weights[i + 1]!;
        let left = 0;
        let right = 0;
        if (wl === 1) {
          if (wr === 1) return (wSoFar + 1) / total;
          left = 0.5;
        } else if (wr === 1) {
          right = 0.5;
        }
        const dw = (wl + wr) / 2;
        const base = wSoFar + wl / 2 + left;
        return (base + ((dw - left - right) * (x - m)) / (next - m)) / total;
      }
      wSoFar += weights[i]!;
    }
    return 1 - 0.5 / total;
  }

  /** For JSON sinks: count, min, max and the usual percentiles (null when empty). */
  toJSON(): { count: number; min: number | null; max: number | null; p50: number | null; p95: number | null; p99: number | null } {
    const n = (x: number): number | null => (Number.isNaN(x) ? null : x);
    return { count: this.count, min: n(this.min), max: n(this.max), p50: n(this.p50), p95: n(this.p95), p99: n(this.p99) };
  }
}

function weightedAverage(x1: number, w1: number, x2: number, w2: number): number {
  const lo = Math.min(x1, x2);
  const hi = Math.max(x1, x2);
  const r = (x1 * w1 + x2 * w2) / (w1 + w2);
  return Math.max(lo, Math.min(hi, r));
}

function validateTd(b: Buffer, compression: number): void {
  checkHeader(b, TAG, 't-digest', HEADER);
  if (b.readDoubleBE(4) !== compression) throw new SketchStateError(`t-digest: compression ${b.readDoubleBE(4)}, expected ${compression}`);
  const nc = b.readUInt32BE(28);
  const nb = b.readUInt32BE(32);
  if (nb > bufferLimit(compression) || b.length < HEADER + nc * 16 + nb * 8) throw new SketchStateError('t-digest: state of the wrong length');
  let prev = -Infinity;
  for (let i = 0, at = HEADER; i < nc; i++, at += 16) {
    const m = b.readDoubleBE(at);
    const w = b.readDoubleBE(at + 8);
    if (!(m >= prev && w > 0 && Number.isFinite(m) && Number.isFinite(w))) throw new SketchStateError('t-digest: bad centroid');
    prev = m;
  }
  for (let i = 0, at = HEADER + nc * 16; i < nb; i++, at += 8) {
    if (!Number.isFinite(b.readDoubleBE(at))) throw new SketchStateError('t-digest: bad buffered value');
  }
  if (nc + nb > 0 && !(b.readDoubleBE(12) <= b.readDoubleBE(20))) throw new SketchStateError('t-digest: bad min/max');
}
