/**
 * Byte helpers for store keys. Stores order keys by their bytes (unsigned, lexicographic), the
 * order LMDB and RocksDB use, so composite keys are built so that byte order is the order we
 * want to scan in: a length-prefixed record key first (so "a" and "ab" never interleave), then
 * big-endian, sign-flipped timestamps (so time sorts numerically, negatives included).
 */

/** Unsigned lexicographic comparison, the order every store iterates in. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

// Timestamps are integers with |t| < 2^52 (ms: ±142,000 years). Adding 2^52 makes them
// non-negative and < 2^53 — still exact doubles — so two big-endian uint32 halves sort like the
// numbers. ±Infinity and anything beyond are clamped to the ends.
const OFFSET = 2 ** 52;
const TWO32 = 2 ** 32;

export const TIMESTAMP_BYTES = 8;

export function writeTimestamp(buf: Buffer, offset: number, t: number): void {
  const c = t >= OFFSET ? OFFSET - 1 : t <= -OFFSET ? -OFFSET : Math.trunc(t);
  const u = c + OFFSET;
  buf.writeUInt32BE(Math.floor(u / TWO32), offset);
  buf.writeUInt32BE(u % TWO32, offset + 4);
}

export function readTimestamp(buf: Uint8Array, offset: number): number {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return b.readUInt32BE(offset) * TWO32 + b.readUInt32BE(offset + 4) - OFFSET;
}

/** A big-endian u32 from four latin1 chars (each one byte) of `s` at `at`. */
export function readUInt32Latin1(s: string, at: number): number {
  return s.charCodeAt(at) * 0x1000000 + ((s.charCodeAt(at + 1) << 16) | (s.charCodeAt(at + 2) << 8) | s.charCodeAt(at + 3));
}

/** readTimestamp of a key held as its latin1 string (one char per byte). */
export function readTimestampLatin1(s: string, at: number): number {
  return readUInt32Latin1(s, at) * TWO32 + readUInt32Latin1(s, at + 4) - OFFSET;
}

/** `[u32 length][key]`: the prefix of every composite key that belongs to one record key. */
export function keyPrefix(key: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + key.length);
  out.writeUInt32BE(key.length, 0);
  out.set(key, 4);
  return out;
}

/** `[u32 length][key][timestamp][...extra]`, e.g. a window start or a buffered join record's time. */
export function keyWithTime(key: Uint8Array, t: number, extra?: Uint8Array): Buffer {
  const extraLen = extra ? extra.length : 0;
  const out = Buffer.allocUnsafe(4 + key.length + TIMESTAMP_BYTES + extraLen);
  out.writeUInt32BE(key.length, 0);
  out.set(key, 4);
  writeTimestamp(out, 4 + key.length, t);
  if (extra) out.set(extra, 4 + key.length + TIMESTAMP_BYTES);
  return out;
}

/** The record key of a keyPrefix() as latin1 (one char per byte); undefined when `prefix` is not exactly one. */
export function prefixId(prefix: Buffer): string | undefined {
  return prefix.length >= 4 && prefix.length === 4 + prefix.readUInt32BE(0) ? prefix.toString('latin1', 4) : undefined;
}

/**
 * The record key (as latin1) and time of a keyWithTime() key whose extra part is `extraBytes`
 * long; undefined when `composite` has another shape (a read of a key no such store can hold).
 */
export function idAndTime(composite: Buffer, extraBytes: number): { id: string; time: number } | undefined {
  if (composite.length < 4) return undefined;
  const n = composite.readUInt32BE(0);
  if (composite.length !== 4 + n + TIMESTAMP_BYTES + extraBytes) return undefined;
  return { id: composite.toString('latin1', 4, 4 + n), time: readTimestamp(composite, 4 + n) };
}

/** Splits a key built by keyWithTime. */
export function splitKeyWithTime(composite: Uint8Array): { key: Buffer; time: number; extra: Buffer } {
  const b = Buffer.isBuffer(composite) ? composite : Buffer.from(composite);
  const len = b.readUInt32BE(0);
  return {
    key: b.subarray(4, 4 + len),
    time: readTimestamp(b, 4 + len),
    extra: b.subarray(4 + len + TIMESTAMP_BYTES),
  };
}

/**
 * The smallest key greater than every key starting with `prefix` (an exclusive range end), or
 * undefined when no such key exists (the prefix is all 0xff).
 */
export function prefixEnd(prefix: Uint8Array): Buffer | undefined {
  const out = Buffer.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i]! += 1;
      return out.subarray(0, i + 1);
    }
  }
  return undefined;
}
