import { CorruptRecordError, TributaryError } from './errors.js';

/**
 * Kafka's variable-length integers (protobuf style: 7 bits per byte, least significant group first,
 * high bit = "more follows"). Signed values are zigzag-encoded so small negatives stay short.
 *
 * Writers take a position and return the new one. Readers return the value and advance a caller-owned
 * Cursor, so decoding a batch reuses one cursor object instead of allocating a {value, pos} per field.
 * Readers never read at or past `cursor.end`; running out of bytes or an over-long encoding is a
 * CorruptRecordError (never a RangeError), because the bytes come from the network or from disk.
 */
export interface Cursor {
  pos: number;
  /** Exclusive bound: a batch is decoded in place inside a larger buffer without slicing it. */
  end: number;
}

export function cursor(pos: number, end: number): Cursor {
  return { pos, end };
}

const TWO_32 = 4294967296;
/** Largest magnitude whose zigzag form (2|v| or 2|v|-1) is still an exact double. */
const MAX_VARLONG_MAGNITUDE = 2 ** 52;

// ---------------------------------------------------------------------------------------------
// sizes

/** Bytes needed for `value` as an unsigned varint; `value` is taken as uint32. */
export function sizeOfUnsignedVarint(value: number): number {
  const v = value >>> 0;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

/** Bytes needed for the int32 `value` as a zigzag varint. */
export function sizeOfVarint(value: number): number {
  return sizeOfUnsignedVarint((value << 1) ^ (value >> 31));
}

/** Bytes needed for `value` (a safe integer) as a zigzag varlong. */
export function sizeOfVarlong(value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return sizeOfVarint(value);
  let z = value >= 0 ? value * 2 : -value * 2 - 1;
  let n = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// writers (the caller sized the buffer; these do no bounds checks of their own beyond Buffer's)

/** Writes `value` (taken as uint32) as an unsigned varint at `at`; returns the position after it. */
export function writeUnsignedVarint(buf: Buffer, at: number, value: number): number {
  let v = value >>> 0;
  while (v >= 0x80) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v;
  return at;
}

/** Writes the int32 `value` as a zigzag varint; returns the position after it. */
export function writeVarint(buf: Buffer, at: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v;
  return at;
}

/**
 * Writes `value` as a zigzag varlong; returns the position after it. Values beyond +-2^52 are refused:
 * their zigzag form is not exact in a double, and no timestamp delta comes near them.
 */
export function writeVarlong(buf: Buffer, at: number, value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return writeVarint(buf, at, value);
  if (!Number.isInteger(value) || value > MAX_VARLONG_MAGNITUDE || value < -MAX_VARLONG_MAGNITUDE) {
    throw new TributaryError('INVALID_RECORD', `varlong ${value} is outside +-2^52`);
  }
  let z = value >= 0 ? value * 2 : -value * 2 - 1;
  while (z >= 0x80) {
    buf[at++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[at++] = z;
  return at;
}

// ---------------------------------------------------------------------------------------------
// readers

function truncated(c: Cursor, what: string): CorruptRecordError {
  return new CorruptRecordError(`${what} at ${c.pos} runs past the end of its data (${c.end})`);
}

/**
 * Reads an unsigned varint of at most 5 bytes as a uint32 (0 .. 2^32-1).
 * Like Java's ByteUtils a sixth byte is an error; unlike Java, bits that would fall beyond 32 are
 * an error too rather than silently dropped, since only corrupt bytes carry them.
 */
export function readUnsignedVarint(buf: Buffer, c: Cursor): number {
  let p = c.pos;
  const end = c.end;
  if (p >= end) throw truncated(c, 'varint');
  let b = buf[p++]!;
  if (b < 0x80) {
    c.pos = p;
    return b;
  }
  let v = b & 0x7f;
  for (let shift = 7; shift < 28; shift += 7) {
    if (p >= end) throw truncated(c, 'varint');
    b = buf[p++]!;
    v |= (b & 0x7f) << shift;
    if (b < 0x80) {
      c.pos = p;
      return v >>> 0;
    }
  }
  if (p >= end) throw truncated(c, 'varint');
  b = buf[p++]!;
  if (b > 0x0f) throw new CorruptRecordError(`varint at ${c.pos} is longer than 5 bytes or exceeds 32 bits`);
  c.pos = p;
  return (v | (b << 28)) >>> 0;
}

/** Reads a zigzag varint as an int32. */
export function readVarint(buf: Buffer, c: Cursor): number {
  const p = c.pos;
  // Single-byte fast path: most record fields (attributes aside) are small.
  if (p < c.end) {
    const b = buf[p]!;
    if (b < 0x80) {
      c.pos = p + 1;
      return (b >>> 1) ^ -(b & 1);
    }
  }
  const z = readUnsignedVarint(buf, c);
  return (z >>> 1) ^ -(z & 1);
}

/**
 * Reads a zigzag varlong (up to 10 bytes) as a number. Non-canonical but valid encodings (padded with
 * 0x80 groups) decode correctly; a value outside the safe-integer range, an 11th byte or a 10th byte
 * carrying more than bit 63 is a CorruptRecordError.
 */
export function readVarlong(buf: Buffer, c: Cursor): number {
  const start = c.pos;
  const end = c.end;
  let p = start;
  // Up to 4 bytes (28 bits) fit in int32 arithmetic: covers every realistic timestamp delta.
  let lo = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (p >= end) throw truncated(c, 'varlong');
    const b = buf[p++]!;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      c.pos = p;
      return (lo >>> 1) ^ -(lo & 1);
    }
  }
  // Slow path: gather the 64 bits in two uint32 halves.
  let hi = 0;
  if (p >= end) throw truncated(c, 'varlong');
  let b = buf[p++]!;
  lo = (lo | ((b & 0x0f) << 28)) >>> 0;
  hi = (b & 0x70) >>> 4;
  let shift = 3; // next group's bit position within `hi`
  while (b >= 0x80) {
    if (p >= end) throw truncated(c, 'varlong');
    b = buf[p++]!;
    if (shift === 31) {
      // 10th byte: only bit 63 remains, and nothing may follow.
      if (b > 0x01) throw new CorruptRecordError(`varlong at ${start} is longer than 10 bytes or exceeds 64 bits`);
      hi = (hi | (b << 31)) >>> 0;
      break;
    }
    hi = (hi | ((b & 0x7f) << shift)) >>> 0;
    shift += 7;
  }
  c.pos = p;
  // zigzag: (raw >>> 1) ^ -(raw & 1), on the two halves
  const negative = (lo & 1) !== 0;
  let rlo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
  let rhi = hi >>> 1;
  if (negative) {
    rlo = ~rlo >>> 0;
    rhi = ~rhi | 0;
  }
  const v = rhi * TWO_32 + rlo;
  if (!Number.isSafeInteger(v)) throw new CorruptRecordError(`varlong at ${start} is outside the safe integer range`);
  return v;
}
