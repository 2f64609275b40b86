import { TopologyError } from '../errors.js';
import { checkHeader, SketchStateError, stateSerde, VERSION, weightOf, type Aggregator, zeroed } from './aggregator.js';
import { fmix32 as fmix32Binding, H, hashItem as hashItemBinding, type SketchItem } from './hash.js';

export interface CountMinOptions<V> {
  /** Additive error as a fraction of the total count N: estimates exceed the truth by at most ε·N (with probability 1 - δ). */
  readonly epsilon: number;
  /** Probability that one item's estimate exceeds the ε·N bound. */
  readonly delta: number;
  /** The record's weight (a finite number >= 0; default 1 per record). */
  readonly weight?: (value: V) => number;
  /** Hash seed (default 0): sketches merge only with sketches of the same seed. */
  readonly seed?: number;
}

/**
 * Count-min sketch (Cormode & Muthukrishnan, 2005): frequencies of items in a d × w table of
 * counters, w = ⌈e/ε⌉ columns and d = ⌈ln(1/δ)⌉ rows, each row with its own hash of the item.
 *
 * Error bounds, for an item of true count f in a stream of total count N:
 * - never under-estimates: estimate(item) >= f, always;
 * - over-estimates by at most ε·N with probability at least 1 - δ (for each point query).
 *
 * Counters start one byte wide and widen (2, 4, then 8-byte floats) only when one overflows, so a
 * window with few records has a small state: d·w bytes plus a 20-byte header (ε = 0.01, δ = 0.01:
 * 272 × 5, 1.4 KiB). Mergeable (session windows): the merge of two sketches is the sketch of
 * the concatenated streams. `fn` picks the item; null or undefined items are not counted.
 * Result: a CountMinSketch with `estimate(item)` and `total`.
 */
export function countMin<V, T extends SketchItem = SketchItem>(
  fn: (value: V) => T | null | undefined,
  options: CountMinOptions<V>,
): Aggregator<V, Buffer, CountMinSketch<T>> {
  const { epsilon, delta } = options;
  if (!(typeof epsilon === 'number' && epsilon > 0 && epsilon < 1)) throw new TopologyError(`countMin epsilon must be in (0, 1), got ${String(epsilon)}`);
  if (!(typeof delta === 'number' && delta > 0 && delta < 1)) throw new TopologyError(`countMin delta must be in (0, 1), got ${String(delta)}`);
  const width = Math.ceil(Math.E / epsilon);
  const depth = Math.ceil(Math.log(1 / delta));
  if (width > 1 << 24) throw new TopologyError(`countMin epsilon ${epsilon} needs ${width} columns; at most 2^24`);
  if (depth > 32) throw new TopologyError(`countMin delta ${delta} needs ${depth} rows; at most 32`);
  const seed = (options.seed ?? 0) >>> 0;
  const weight = options.weight;
  return {
    kind: 'countMin',
    init: () => cmsCreate(width, depth, seed),
    add: (acc, value) => {
      const item = fn(value);
      if (item === null || item === undefined) return acc;
      return cmsAdd(acc, item, weight ? weightOf(weight(value)) : 1);
    },
    merge: (a, b) => cmsMerge(a, b),
    result: (acc) => new CountMinSketch<T>(acc, epsilon, delta),
    stateSerde: stateSerde(`countMin(${width}x${depth})`, (b) => validateCms(b, width, depth, seed)),
  };
}

/**
 * A count-min sketch's answer: point queries over the counted stream. estimate(x) >= the true
 * count of x, and <= true count + epsilon·total with probability >= 1 - delta.
 */
export class CountMinSketch<T extends SketchItem = SketchItem> {
  /** @internal */
  constructor(
    /** The sketch state (binary). */
    readonly state: Buffer,
    readonly epsilon: number,
    readonly delta: number,
  ) {}

  /** Total count (sum of weights) of the stream. */
  get total(): number {
    return this.state.readDoubleBE(12);
  }

  get width(): number {
    return this.state.readUInt32BE(4);
  }

  get depth(): number {
    return this.state[3]!;
  }

  /** The estimated count of an item: never less than the truth. */
  estimate(item: T): number {
    return cmsEstimate(this.state, item);
  }

  /** For JSON sinks: the sketch's size and totals (not its counters; use the state for those). */
  toJSON(): { total: number; epsilon: number; delta: number; width: number; depth: number } {
    return { total: this.total, epsilon: this.epsilon, delta: this.delta, width: this.width, depth: this.depth };
  }
}

// State: [0x43 'C'][version][counter bytes: 1, 2, 4 (unsigned ints) or 8 (float64)][depth]
//        [width u32 BE][seed u32 BE][total f64 BE] then depth × width counters, row-major, BE.
const TAG = 0x43;
const HEADER = 20;

export function cmsCreate(width: number, depth: number, seed: number): Buffer {
  const b = zeroed(HEADER + width * depth);
  b[0] = TAG;
  b[1] = VERSION;
  b[2] = 1;
  b[3] = depth;
  b.writeUInt32BE(width, 4);
  b.writeUInt32BE(seed, 8);
  b.writeDoubleBE(0, 12);
  return b;
}

// Imported bindings held locally: under some loaders (tsx) each read of an imported binding is a
// getter call, which shows in loops that run per record.
const HW = H;
const hashItem = hashItemBinding;
const fmix32 = fmix32Binding;
/** Each row's column for the item last hashed. */
const COLS = new Uint32Array(32);

/** Fills COLS with the item's column in each row (the item's hash is in H). */
function columns(depth: number, width: number): void {
  const h0 = HW[0]!;
  const h1 = HW[1]!;
  const h2 = HW[2]!;
  const h3 = HW[3]!;
  for (let i = 0; i < depth; i++) {
    const a = (i & 3) === 0 ? h0 : (i & 3) === 1 ? h1 : (i & 3) === 2 ? h2 : h3;
    const b = (i & 3) === 0 ? h1 : (i & 3) === 1 ? h2 : (i & 3) === 2 ? h3 : h0;
    COLS[i] = fmix32(a ^ Math.imul(b, 2 * i + 1) ^ Math.imul(i + 1, 0x9e3779b9)) % width;
  }
}

function readCounter(b: Buffer, at: number, size: number): number {
  switch (size) {
    case 1:
      return b[at]!;
    case 2:
      return b.readUInt16BE(at);
    case 4:
      return b.readUInt32BE(at);
    default:
      return b.readDoubleBE(at);
  }
}

function writeCounter(b: Buffer, at: number, size: number, v: number): void {
  switch (size) {
    case 1:
      b[at] = v;
      return;
    case 2:
      b.writeUInt16BE(v, at);
      return;
    case 4:
      b.writeUInt32BE(v, at);
      return;
    default:
      b.writeDoubleBE(v, at);
  }
}

function getCounter(dv: DataView, at: number, size: number): number {
  return size === 1 ? dv.getUint8(at) : size === 2 ? dv.getUint16(at) : size === 4 ? dv.getUint32(at) : dv.getFloat64(at);
}

function setCounter(dv: DataView, at: number, size: number, v: number): void {
  if (size === 1) dv.setUint8(at, v);
  else if (size === 2) dv.setUint16(at, v);
  else if (size === 4) dv.setUint32(at, v);
  else dv.setFloat64(at, v);
}

function fits(v: number, size: number): boolean {
  if (size === 8) return true;
  return v < (size === 1 ? 0x100 : size === 2 ? 0x10000 : 0x100000000) && Number.isInteger(v);
}

/** The state with counters `size` bytes wide (a new Buffer). */
function widen(b: Buffer, size: number): Buffer {
  const from = b[2]!;
  const cells = b[3]! * b.readUInt32BE(4);
  const out = zeroed(HEADER + cells * size);
  b.copy(out, 0, 0, HEADER);
  out[2] = size;
  for (let c = 0; c < cells; c++) writeCounter(out, HEADER + c * size, size, readCounter(b, HEADER + c * from, from));
  return out;
}

function sizeFor(v: number, from: number): number {
  let size = from;
  while (!fits(v, size)) size = size === 1 ? 2 : size === 2 ? 4 : 8;
  return size;
}

/** Adds `w` to the item's counters; returns the state (the same Buffer unless counters widened). */
export function cmsAdd(b: Buffer, item: SketchItem, w: number): Buffer {
  if (b[0] !== TAG) throw new SketchStateError('countMin: not a count-min state');
  if (w === 0) return b;
  let dv = new DataView(b.buffer, b.byteOffset, b.length);
  hashItem(item, dv.getUint32(8));
  const depth = b[3]!;
  const width = dv.getUint32(4);
  let size = b[2]!;
  columns(depth, width);
  // The largest counter after the update decides the width for all.
  let max = 0;
  for (let i = 0; i < depth; i++) {
    const v = getCounter(dv, HEADER + (i * width + COLS[i]!) * size, size) + w;
    if (v > max) max = v;
  }
  if (!fits(max, size)) {
    b = widen(b, sizeFor(max, size));
    dv = new DataView(b.buffer, b.byteOffset, b.length);
    size = b[2]!;
  }
  for (let i = 0; i < depth; i++) {
    const at = HEADER + (i * width + COLS[i]!) * size;
    setCounter(dv, at, size, getCounter(dv, at, size) + w);
  }
  dv.setFloat64(12, dv.getFloat64(12) + w);
  return b;
}

export function cmsEstimate(b: Buffer, item: SketchItem): number {
  if (b[0] !== TAG) throw new SketchStateError('countMin: not a count-min state');
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  hashItem(item, dv.getUint32(8));
  const depth = b[3]!;
  const width = dv.getUint32(4);
  const size = b[2]!;
  columns(depth, width);
  let min = Infinity;
  for (let i = 0; i < depth; i++) {
    const v = getCounter(dv, HEADER + (i * width + COLS[i]!) * size, size);
    if (v < min) min = v;
  }
  return min;
}

/** Adds b's counters to a's (same width, depth and seed); a may be modified. */
export function cmsMerge(a: Buffer, b: Buffer): Buffer {
  if (a[0] !== TAG || b[0] !== TAG) throw new SketchStateError('countMin: not a count-min state');
  if (a[3] !== b[3] || a.readUInt32BE(4) !== b.readUInt32BE(4) || a.readUInt32BE(8) !== b.readUInt32BE(8)) {
    throw new SketchStateError('countMin: cannot merge sketches of different width, depth or seed');
  }
  const cells = a[3]! * a.readUInt32BE(4);
  const sa = a[2]!;
  const sb = b[2]!;
  let max = 0;
  for (let c = 0; c < cells; c++) {
    const v = readCounter(a, HEADER + c * sa, sa) + readCounter(b, HEADER + c * sb, sb);
    if (v > max) max = v;
  }
  const size = sizeFor(max, Math.max(sa, sb));
  const out = size === sa ? a : widen(a, size);
  for (let c = 0; c < cells; c++) {
    const at = HEADER + c * size;
    writeCounter(out, at, size, readCounter(out, at, size) + readCounter(b, HEADER + c * sb, sb));
  }
  out.writeDoubleBE(a.readDoubleBE(12) + b.readDoubleBE(12), 12);
  return out;
}

function validateCms(b: Buffer, width: number, depth: number, seed: number): void {
  checkHeader(b, TAG, 'count-min sketch', HEADER);
  const size = b[2]!;
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) throw new SketchStateError(`count-min sketch: bad counter size ${size}`);
  if (b[3] !== depth || b.readUInt32BE(4) !== width || b.readUInt32BE(8) !== seed) {
    throw new SketchStateError(`count-min sketch: ${b.readUInt32BE(4)}x${b[3]} seed ${b.readUInt32BE(8)}, expected ${width}x${depth} seed ${seed}`);
  }
  if (b.length !== HEADER + width * depth * size) throw new SketchStateError('count-min sketch: state of the wrong length');
  const total = b.readDoubleBE(12);
  if (!(total >= 0 && Number.isFinite(total))) throw new SketchStateError('count-min sketch: bad total');
}
