import { checkHeader, positiveInt, SketchStateError, stateSerde, VERSION, weightOf, type Aggregator, zeroed } from './aggregator.js';
import { H, hashItem as hashItemBinding, type SketchItem } from './hash.js';

// Imported bindings held locally: under some loaders (tsx) each read of an imported binding is a
// getter call, which shows in loops that run per record.
const HW = H;
const hashItem = hashItemBinding;

export interface TopKOptions<V> {
  /**
   * Counters kept (default max(4k, 32)). Every count is exact to within total/capacity: more
   * counters, tighter counts, larger state (24 bytes + the item's bytes per counter).
   */
  readonly capacity?: number;
  /** The record's weight (a finite number >= 0; default 1 per record): top items by summed weight. */
  readonly weight?: (value: V) => number;
}

/** One heavy hitter: the true count is in [count - error, count]. */
export interface TopKEntry<T> {
  readonly item: T;
  /** Upper bound of the item's count (weight). */
  readonly count: number;
  /** How much `count` may over-count: the true count is at least count - error. */
  readonly error: number;
}

/**
 * Top-K heavy hitters with Space-Saving (Metwally, Agrawal & El Abbadi, 2005): `capacity`
 * counters, each an item with an over-estimate of its count; an unmonitored item takes over the
 * smallest counter. Generalized with a `floor` so that summaries merge (session windows) with
 * the same guarantees (the merge of Agarwal et al., "Mergeable summaries", 2012, in Space-Saving
 * form).
 *
 * Guaranteed bounds, for a stream of total count (weight) N and capacity m:
 * - every reported entry brackets the truth: count - error <= true count <= count;
 * - error <= N / m for every entry;
 * - every item whose true count exceeds N / m is monitored, so it is reported unless k entries
 *   have larger counts (then those k are at least as frequent, up to their errors).
 *
 * Result: the k entries of largest count, sorted by count descending, as { item, count, error }.
 * Items are strings, numbers, bigints, booleans or bytes (returned as Buffers); `fn` returning
 * null or undefined skips the record.
 */
export function topK<V, T extends SketchItem = SketchItem>(
  fn: (value: V) => T | null | undefined,
  k: number,
  options: TopKOptions<V> = {},
): Aggregator<V, Buffer, Array<TopKEntry<T>>> {
  positiveInt(k, 'topK k', 1, 1 << 20);
  const capacity = positiveInt(options.capacity ?? Math.max(4 * k, 32), 'topK capacity', k, 1 << 20);
  const weight = options.weight;
  return {
    kind: 'topK',
    init: () => topKCreate(capacity),
    add: (acc, value) => {
      const item = fn(value);
      if (item === null || item === undefined) return acc;
      return topKAdd(acc, item, weight ? weightOf(weight(value)) : 1);
    },
    merge: (a, b) => topKMerge(a, b),
    result: (acc) => topKSummary<T>(acc).entries.slice(0, k),
    stateSerde: stateSerde(`topK(capacity=${capacity})`, (b) => validateTopK(b, capacity)),
  };
}

/** Everything a Space-Saving state knows. */
export interface TopKSummary<T> {
  /** Total count (weight) of the stream. */
  readonly total: number;
  readonly capacity: number;
  /** No item that is not listed has a true count above this (<= total / capacity). */
  readonly floor: number;
  /** Every monitored item, by count descending. */
  readonly entries: Array<TopKEntry<T>>;
}

// State: [0x4b 'K'][version][0][0][capacity u32][n u32][total f64][floor f64], then n slots of
// [hash word 0 u32][hash word 1 u32][count f64][error f64], then n items, each [length u32][bytes]
// in slot order. Items' bytes: a type byte (s string, n number, i bigint, t/f boolean, b bytes)
// then the UTF-8 text, float64, decimal text or bytes.
const TAG = 0x4b;
const HEADER = 28;
const SLOT = 24;

export function topKCreate(capacity: number): Buffer {
  const b = zeroed(HEADER);
  b[0] = TAG;
  b[1] = VERSION;
  b.writeUInt32BE(capacity, 4);
  return b;
}

export function encodeItem(item: SketchItem): Buffer {
  switch (typeof item) {
    case 'string': {
      const n = Buffer.byteLength(item, 'utf8');
      const b = Buffer.allocUnsafe(1 + n);
      b[0] = 0x73;
      b.write(item, 1, 'utf8');
      return b;
    }
    case 'number': {
      const b = Buffer.allocUnsafe(9);
      b[0] = 0x6e;
      b.writeDoubleBE(item, 1);
      return b;
    }
    case 'bigint':
      return Buffer.concat([Buffer.of(0x69), Buffer.from(item.toString(), 'latin1')]);
    case 'boolean':
      return Buffer.of(item ? 0x74 : 0x66);
    default:
      if (item instanceof Uint8Array) return Buffer.concat([Buffer.of(0x62), item]);
      throw new TypeError('a topK item must be a string, number, bigint, boolean or bytes');
  }
}

export function decodeItem(b: Buffer): SketchItem {
  switch (b[0]) {
    case 0x73:
      return b.toString('utf8', 1);
    case 0x6e:
      return b.readDoubleBE(1);
    case 0x69:
      return BigInt(b.toString('latin1', 1));
    case 0x74:
      return true;
    case 0x66:
      return false;
    case 0x62:
      return Buffer.from(b.subarray(1));
    default:
      throw new SketchStateError(`topK: unknown item type ${b[0]}`);
  }
}

/** Offset of item i's length prefix (items follow the n slots). */
function itemOffset(dv: DataView, n: number, i: number): number {
  let at = HEADER + n * SLOT;
  for (let j = 0; j < i; j++) at += 4 + dv.getUint32(at);
  return at;
}

/** Adds weight w for the item; returns the state (the same Buffer when the item was monitored). */
export function topKAdd(b: Buffer, item: SketchItem, w: number): Buffer {
  if (b[0] !== TAG) throw new SketchStateError('topK: not a Space-Saving state');
  if (w === 0) return b;
  hashItem(item);
  const h0 = HW[0]!;
  const h1 = HW[1]!;
  // DataView reads compile to plain loads; Buffer's readDoubleBE does not.
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const n = dv.getUint32(8);
  dv.setFloat64(12, dv.getFloat64(12) + w);
  for (let i = 0, at = HEADER; i < n; i++, at += SLOT) {
    if (dv.getUint32(at) === h0 && dv.getUint32(at + 4) === h1) {
      dv.setFloat64(at + 8, dv.getFloat64(at + 8) + w);
      return b;
    }
  }
  const bytes = encodeItem(item);
  const capacity = b.readUInt32BE(4);
  if (n < capacity) {
    // A new slot and the item at the end: [header][slots][new slot][items][new item].
    const floor = b.readDoubleBE(20);
    const slotsEnd = HEADER + n * SLOT;
    const out = Buffer.allocUnsafe(b.length + SLOT + 4 + bytes.length);
    b.copy(out, 0, 0, slotsEnd);
    out.writeUInt32BE(h0, slotsEnd);
    out.writeUInt32BE(h1, slotsEnd + 4);
    out.writeDoubleBE(floor + w, slotsEnd + 8);
    out.writeDoubleBE(floor, slotsEnd + 16);
    b.copy(out, slotsEnd + SLOT, slotsEnd);
    const end = b.length + SLOT;
    out.writeUInt32BE(bytes.length, end);
    bytes.copy(out, end + 4);
    out.writeUInt32BE(n + 1, 8);
    return out;
  }
  // Full: the item takes over the smallest counter (the first of equals).
  let j = 0;
  let min = Infinity;
  for (let i = 0, at = HEADER + 8; i < n; i++, at += SLOT) {
    const c = dv.getFloat64(at);
    if (c < min) {
      min = c;
      j = i;
    }
  }
  const sat = HEADER + j * SLOT;
  dv.setUint32(sat, h0);
  dv.setUint32(sat + 4, h1);
  dv.setFloat64(sat + 8, min + w);
  dv.setFloat64(sat + 16, min);
  dv.setFloat64(20, min);
  const iat = itemOffset(dv, n, j);
  const oldLen = dv.getUint32(iat);
  if (oldLen === bytes.length) {
    bytes.copy(b, iat + 4);
    return b;
  }
  const out = Buffer.allocUnsafe(b.length - oldLen + bytes.length);
  b.copy(out, 0, 0, iat);
  out.writeUInt32BE(bytes.length, iat);
  bytes.copy(out, iat + 4);
  b.copy(out, iat + 4 + bytes.length, iat + 4 + oldLen);
  return out;
}

interface Slot {
  h0: number;
  h1: number;
  count: number;
  error: number;
  item: Buffer;
}

function readSlots(b: Buffer): Slot[] {
  const n = b.readUInt32BE(8);
  const out: Slot[] = [];
  let iat = HEADER + n * SLOT;
  for (let i = 0, at = HEADER; i < n; i++, at += SLOT) {
    const len = b.readUInt32BE(iat);
    out.push({
      h0: b.readUInt32BE(at),
      h1: b.readUInt32BE(at + 4),
      count: b.readDoubleBE(at + 8),
      error: b.readDoubleBE(at + 16),
      item: b.subarray(iat + 4, iat + 4 + len),
    });
    iat += 4 + len;
  }
  return out;
}

function writeState(capacity: number, total: number, floor: number, slots: readonly Slot[]): Buffer {
  let size = HEADER + slots.length * SLOT;
  for (const s of slots) size += 4 + s.item.length;
  const b = Buffer.allocUnsafe(size);
  b[0] = TAG;
  b[1] = VERSION;
  b[2] = 0;
  b[3] = 0;
  b.writeUInt32BE(capacity, 4);
  b.writeUInt32BE(slots.length, 8);
  b.writeDoubleBE(total, 12);
  b.writeDoubleBE(floor, 20);
  let at = HEADER;
  let iat = HEADER + slots.length * SLOT;
  for (const s of slots) {
    b.writeUInt32BE(s.h0, at);
    b.writeUInt32BE(s.h1, at + 4);
    b.writeDoubleBE(s.count, at + 8);
    b.writeDoubleBE(s.error, at + 16);
    at += SLOT;
    b.writeUInt32BE(s.item.length, iat);
    s.item.copy(b, iat + 4);
    iat += 4 + s.item.length;
  }
  return b;
}

const byCount = (x: Slot, y: Slot): number => y.count - x.count || x.error - y.error || x.h0 - y.h0 || x.h1 - y.h1;

/**
 * Merges two summaries of the same capacity. An item missing from one side counts that side's
 * floor (its largest possible count there) in both its count and its error; of the union, the
 * `capacity` largest counts stay and the largest dropped count raises the floor.
 */
export function topKMerge(a: Buffer, b: Buffer): Buffer {
  if (a[0] !== TAG || b[0] !== TAG) throw new SketchStateError('topK: not a Space-Saving state');
  const capacity = a.readUInt32BE(4);
  if (b.readUInt32BE(4) !== capacity) throw new SketchStateError('topK: cannot merge summaries of different capacity');
  const fa = a.readDoubleBE(20);
  const fb = b.readDoubleBE(20);
  const union = new Map<string, Slot>();
  for (const s of readSlots(a)) union.set(`${s.h0},${s.h1}`, { ...s, count: s.count + fb, error: s.error + fb });
  for (const s of readSlots(b)) {
    const id = `${s.h0},${s.h1}`;
    const u = union.get(id);
    if (u) {
      u.count += s.count - fb;
      u.error += s.error - fb;
    } else {
      union.set(id, { ...s, count: s.count + fa, error: s.error + fa });
    }
  }
  let floor = fa + fb;
  let slots = [...union.values()];
  if (slots.length > capacity) {
    slots.sort(byCount);
    floor = Math.max(floor, slots[capacity]!.count);
    slots = slots.slice(0, capacity);
  }
  return writeState(capacity, a.readDoubleBE(12) + b.readDoubleBE(12), floor, slots);
}

/** The whole summary, entries by count descending. */
export function topKSummary<T extends SketchItem = SketchItem>(b: Buffer): TopKSummary<T> {
  if (b[0] !== TAG) throw new SketchStateError('topK: not a Space-Saving state');
  const slots = readSlots(b).sort(byCount);
  return {
    total: b.readDoubleBE(12),
    capacity: b.readUInt32BE(4),
    floor: b.readDoubleBE(20),
    entries: slots.map((s) => ({ item: decodeItem(s.item) as T, count: s.count, error: s.error })),
  };
}

function validateTopK(b: Buffer, capacity: number): void {
  checkHeader(b, TAG, 'Space-Saving summary', HEADER);
  if (b.readUInt32BE(4) !== capacity) throw new SketchStateError(`Space-Saving summary: capacity ${b.readUInt32BE(4)}, expected ${capacity}`);
  const n = b.readUInt32BE(8);
  if (n > capacity || b.length < HEADER + n * (SLOT + 4)) throw new SketchStateError('Space-Saving summary: bad counter count');
  let at = HEADER + n * SLOT;
  for (let i = 0; i < n; i++) {
    if (at + 4 > b.length) throw new SketchStateError('Space-Saving summary: truncated');
    const len = b.readUInt32BE(at);
    if (len < 1 || at + 4 + len > b.length) throw new SketchStateError('Space-Saving summary: truncated item');
    decodeItem(b.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  if (at !== b.length) throw new SketchStateError('Space-Saving summary: trailing bytes');
  const floor = b.readDoubleBE(20);
  const total = b.readDoubleBE(12);
  if (!(floor >= 0 && total >= 0 && floor <= total)) throw new SketchStateError('Space-Saving summary: bad totals');
}
