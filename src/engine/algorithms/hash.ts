/**
 * Item hashing for the sketches: MurmurHash3 x86_128 (Appleby), in plain 32-bit JavaScript
 * arithmetic, over a canonical word form of the item. The hash is part of every persisted sketch
 * state (registers, counter positions, fingerprints), so it must never change: the tests pin it
 * to the reference implementation's output.
 *
 * Items are strings (hashed as UTF-16 code units, two per 32-bit word, no UTF-8 encoding on the
 * hot path), numbers (their float64 bits; -0 is 0, every NaN is one NaN), bigints (their decimal
 * text), booleans and byte arrays (hashed exactly as the reference hashes bytes). The type goes
 * into the seed, so the string "1" and the number 1 are different items.
 */

/** What a sketch can count: a string, number, bigint, boolean, or bytes (a Buffer or Uint8Array). */
export type SketchItem = string | number | bigint | boolean | Uint8Array;

/** The four 32-bit words of the last hash computed (unsigned). Read them right after `hashItem`. */
export const H = new Uint32Array(4);

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

const TYPE_STRING = 0x73a1d9e1;
const TYPE_NUMBER = 0x5bd1e995;
const TYPE_BIGINT = 0x1b873593;
const TYPE_BOOLEAN = 0x27d4eb2f;
const TYPE_BYTES = 0;

let words = new Int32Array(64);
const f64 = new Float64Array(1);
const f64words = new Int32Array(f64.buffer);

function ensure(n: number): Int32Array {
  if (words.length < n) words = new Int32Array(Math.max(n, words.length * 2));
  return words;
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** Murmur3's 32-bit finalizer: a bijective avalanche mix. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * MurmurHash3_x86_128 of `len` bytes given as little-endian 32-bit words (`w[0..ceil(len/4))`,
 * bytes past `len` in the last word zero). Result in H.
 */
function murmur128(w: Int32Array, len: number, seed: number): void {
  let h1 = seed | 0;
  let h2 = seed | 0;
  let h3 = seed | 0;
  let h4 = seed | 0;
  const blocks = len >>> 4;
  let k1: number;
  let k2: number;
  let k3: number;
  let k4: number;
  for (let b = 0, i = 0; b < blocks; b++, i += 4) {
    k1 = w[i]!;
    k2 = w[i + 1]!;
    k3 = w[i + 2]!;
    k4 = w[i + 3]!;
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = rotl(h1, 19);
    h1 = (h1 + h2) | 0;
    h1 = (Math.imul(h1, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = rotl(h2, 17);
    h2 = (h2 + h3) | 0;
    h2 = (Math.imul(h2, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = rotl(h3, 15);
    h3 = (h3 + h4) | 0;
    h3 = (Math.imul(h3, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = rotl(h4, 13);
    h4 = (h4 + h1) | 0;
    h4 = (Math.imul(h4, 5) + 0x32ac3b17) | 0;
  }
  const tail = len & 15;
  if (tail > 0) {
    const i = blocks << 2;
    if (tail > 12) {
      k4 = Math.imul(rotl(Math.imul(w[i + 3]!, C4), 18), C1);
      h4 ^= k4;
    }
    if (tail > 8) {
      k3 = Math.imul(rotl(Math.imul(w[i + 2]!, C3), 17), C4);
      h3 ^= k3;
    }
    if (tail > 4) {
      k2 = Math.imul(rotl(Math.imul(w[i + 1]!, C2), 16), C3);
      h2 ^= k2;
    }
    k1 = Math.imul(rotl(Math.imul(w[i]!, C1), 15), C2);
    h1 ^= k1;
  }
  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = (h1 + h2) | 0;
  h1 = (h1 + h3) | 0;
  h1 = (h1 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h3 = fmix32(h3);
  h4 = fmix32(h4);
  h1 = (h1 + h2) | 0;
  h1 = (h1 + h3) | 0;
  h1 = (h1 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  H[0] = h1;
  H[1] = h2;
  H[2] = h3;
  H[3] = h4;
}

/** MurmurHash3_x86_128 of bytes, as the reference computes it. Result in H. */
export function hashBytes(b: Uint8Array, seed: number): void {
  const len = b.length;
  const n = (len + 3) >>> 2;
  const w = ensure(n);
  const full = len >>> 2;
  for (let i = 0, j = 0; i < full; i++, j += 4) w[i] = b[j]! | (b[j + 1]! << 8) | (b[j + 2]! << 16) | (b[j + 3]! << 24);
  if (full < n) {
    let x = 0;
    for (let j = full << 2, s = 0; j < len; j++, s += 8) x |= b[j]! << s;
    w[full] = x;
  }
  murmur128(w, len, seed);
}

function hashString(s: string, seed: number): void {
  const units = s.length;
  const n = (units + 1) >>> 1;
  const w = ensure(n);
  const pairs = units >>> 1;
  for (let i = 0, j = 0; i < pairs; i++, j += 2) w[i] = s.charCodeAt(j) | (s.charCodeAt(j + 1) << 16);
  if (pairs < n) w[pairs] = s.charCodeAt(units - 1);
  murmur128(w, units * 2, seed);
}

/**
 * Hashes an item into H (four unsigned 32-bit words). Throws a TypeError for anything that is not
 * a SketchItem (objects: map them to a string or number key first).
 */
export function hashItem(item: SketchItem, seed = 0): void {
  switch (typeof item) {
    case 'string':
      hashString(item, seed ^ TYPE_STRING);
      return;
    case 'number': {
      f64[0] = item === 0 ? 0 : Number.isNaN(item) ? NaN : item;
      const w = ensure(2);
      w[0] = f64words[0]!;
      w[1] = f64words[1]!;
      murmur128(w, 8, seed ^ TYPE_NUMBER);
      return;
    }
    case 'bigint':
      hashString(item.toString(), seed ^ TYPE_BIGINT);
      return;
    case 'boolean': {
      const w = ensure(1);
      w[0] = item ? 1 : 0;
      murmur128(w, 1, seed ^ TYPE_BOOLEAN);
      return;
    }
    default:
      if (item instanceof Uint8Array) {
        hashBytes(item, seed ^ TYPE_BYTES);
        return;
      }
      throw new TypeError(`cannot hash ${describe(item)}: a sketch item must be a string, number, bigint, boolean or bytes`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
