/**
 * Writes Kafka protocol primitives into a growable buffer, front to back. The generated encoders
 * call these methods in straight lines.
 *
 * Output is a list of chunks rather than one Buffer: when the buffer fills up outside a tagged
 * field, the filled part becomes a chunk and writing goes on in a fresh buffer (nothing is copied),
 * and a large `bytes`/`records` value becomes a chunk of its own (not copied either: a Fetch
 * response hands the segment bytes to the socket as they are). `finish()` returns the chunks,
 * ready for `socket.write` / `writev`; `toBuffer()` joins them when one Buffer is wanted.
 *
 * Values that cannot be encoded (out-of-range integers, null in a non-nullable field, strings over
 * 32767 bytes, malformed uuids) throw InvalidFieldValueError.
 */
import { InvalidFieldValueError } from './protocol-error.js';

/** `bytes`/`records` values at least this large are passed through as their own chunk instead of copied. */
export const ZERO_COPY_MIN_BYTES = 8192;
/** First growth goes straight to this size (buffers below 4 KiB come from Node's pool, larger ones do not). */
const MIN_GROW = 16384;
const MAX_GROW = 1 << 20;
const I64_MIN = -(2n ** 63n);
const TWO_32 = 4294967296;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const I64_MAX = 2n ** 63n - 1n;
const UUID_TEXT = /^[A-Za-z0-9_-]{21}[AQgw]$/;

export function uvarintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

function bad(message: string): never {
  throw new InvalidFieldValueError(message);
}

export class Writer {
  private buf: Buffer;
  private pos: number;
  /** Start, in `buf`, of the bytes not yet moved to `chunks`. */
  private segStart = 0;
  private chunks: Buffer[] | null = null;
  private chunkedBytes = 0;
  /** > 0 while inside a tagged field whose size is patched afterwards: no chunk may be cut then. */
  private noSplit = 0;
  private readonly framed: boolean;

  /**
   * @param capacity initial buffer size (grows as needed).
   * @param framed reserve a 4-byte size prefix, filled in by `finish()` (a whole Kafka frame).
   */
  constructor(capacity = 512, framed = false) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 16));
    this.framed = framed;
    this.pos = framed ? 4 : 0;
  }

  /** Bytes written so far (including a frame's size prefix). */
  get length(): number {
    return this.chunkedBytes + (this.pos - this.segStart);
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const old = this.buf;
    const size = Math.max(n, Math.min(Math.max(old.length * 2, MIN_GROW), MAX_GROW));
    if (this.noSplit > 0) {
      // A tagged field's size byte is still to be patched: keep absolute positions valid by copying.
      const next = Buffer.allocUnsafe(this.pos + size);
      old.copy(next, 0, 0, this.pos);
      this.buf = next;
      return;
    }
    this.cut();
    this.buf = Buffer.allocUnsafe(size);
    this.pos = 0;
    this.segStart = 0;
  }

  /** Moves the bytes written since the last cut to `chunks`. */
  private cut(): void {
    if (this.pos > this.segStart) {
      (this.chunks ??= []).push(this.buf.subarray(this.segStart, this.pos));
      this.chunkedBytes += this.pos - this.segStart;
    }
    this.segStart = this.pos;
  }

  /**
   * The encoded bytes as chunks, in order (with the size prefix filled in for a framed writer).
   * May be called again after more writes; the chunks returned are views of the writer's buffers.
   */
  finish(): Buffer[] {
    if (this.noSplit > 0) throw new Error('Writer.finish() inside a tagged field');
    this.cut();
    const out = this.chunks === null ? [] : this.chunks.slice();
    if (this.framed) out[0]!.writeInt32BE(this.length - 4, 0);
    return out;
  }

  /** The encoded bytes as one Buffer (joins the chunks if there are several). */
  toBuffer(): Buffer {
    const chunks = this.finish();
    if (chunks.length === 1) return chunks[0]!;
    return chunks.length === 0 ? Buffer.alloc(0) : Buffer.concat(chunks, this.length);
  }

  // ---- fixed-width integers (big-endian) ----

  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  int8(v: number): void {
    if ((v << 24) >> 24 !== v) bad(`int8 out of range: ${v}`);
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  int16(v: number): void {
    if ((v << 16) >> 16 !== v) bad(`int16 out of range: ${v}`);
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 8) & 0xff;
    b[p + 1] = v & 0xff;
    this.pos = p + 2;
  }

  uint16(v: number): void {
    if ((v & 0xffff) !== v) bad(`uint16 out of range: ${v}`);
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 8;
    b[p + 1] = v & 0xff;
    this.pos = p + 2;
  }

  int32(v: number): void {
    if ((v | 0) !== v) bad(`int32 out of range: ${v}`);
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    this.pos = p + 4;
  }

  uint32(v: number): void {
    if (v >>> 0 !== v) bad(`uint32 out of range: ${v}`);
    this.int32(v | 0);
  }

  int64(v: bigint): void {
    if (typeof v !== 'bigint') bad(`int64 expected, got ${typeof v}`);
    this.ensure(8);
    const n = Number(v);
    if (n >= -MAX_SAFE && n <= MAX_SAFE) {
      // Offsets, timestamps, ids: exact as a number, split without BigInt arithmetic.
      const hi = Math.floor(n / TWO_32);
      const lo = n - hi * TWO_32;
      const b = this.buf;
      const p = this.pos;
      b[p] = hi >>> 24;
      b[p + 1] = (hi >>> 16) & 0xff;
      b[p + 2] = (hi >>> 8) & 0xff;
      b[p + 3] = hi & 0xff;
      b[p + 4] = lo >>> 24;
      b[p + 5] = (lo >>> 16) & 0xff;
      b[p + 6] = (lo >>> 8) & 0xff;
      b[p + 7] = lo & 0xff;
      this.pos = p + 8;
      return;
    }
    if (v < I64_MIN || v > I64_MAX) bad(`int64 out of range: ${String(v)}`);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }

  float64(v: number): void {
    if (typeof v !== 'number') bad(`float64 expected, got ${typeof v}`);
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  /** A uuid in Kafka's text form (URL-safe base64, no padding, 22 chars). */
  uuid(v: string): void {
    if (typeof v !== 'string' || !UUID_TEXT.test(v)) bad(`not a uuid: ${String(v)}`);
    this.ensure(16);
    this.buf.write(v, this.pos, 16, 'base64url');
    this.pos += 16;
  }

  // ---- varints ----

  /** Unsigned LEB128 of a value in [0, 2^32). */
  uvarint(v: number): void {
    if (v >>> 0 !== v) bad(`unsigned varint out of range: ${v}`);
    this.ensure(5);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.pos = p;
  }

  /** Zig-zag signed varint (int32). */
  varint(v: number): void {
    if ((v | 0) !== v) bad(`varint out of range: ${v}`);
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zig-zag signed varlong (int64). */
  varlong(v: bigint): void {
    if (typeof v !== 'bigint' || v < I64_MIN || v > I64_MAX) bad(`varlong out of range: ${String(v)}`);
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    while (u >= 0x80n) {
      b[p++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    b[p++] = Number(u);
    this.pos = p;
  }

  // ---- strings ----

  /** STRING: int16 length + UTF-8. */
  string(s: string | null | undefined): void {
    if (typeof s !== 'string') bad(`non-nullable string was ${String(s)}`);
    const n = s.length;
    if (n * 3 <= 0x7fff) {
      // The UTF-8 length cannot exceed 3 bytes per UTF-16 unit: write, then patch the length.
      this.ensure(2 + n * 3);
      const p = this.pos;
      const len = n === 0 ? 0 : this.buf.write(s, p + 2, 'utf8');
      this.buf[p] = len >>> 8;
      this.buf[p + 1] = len & 0xff;
      this.pos = p + 2 + len;
      return;
    }
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) bad(`string of ${len} bytes is longer than 32767`);
    this.int16(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }

  /** NULLABLE_STRING: as STRING, null is length -1. */
  nullableString(s: string | null | undefined): void {
    if (s === null) {
      this.int16(-1);
      return;
    }
    this.string(s);
  }

  /** COMPACT_STRING: unsigned varint length + 1, then UTF-8. */
  compactString(s: string | null | undefined): void {
    if (typeof s !== 'string') bad(`non-nullable string was ${String(s)}`);
    const n = s.length;
    if (n * 3 + 1 < 0x80) {
      // One-byte length prefix guaranteed: write the text, then patch the prefix.
      this.ensure(1 + n * 3);
      const p = this.pos;
      const len = n === 0 ? 0 : this.buf.write(s, p + 1, 'utf8');
      this.buf[p] = len + 1;
      this.pos = p + 1 + len;
      return;
    }
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) bad(`string of ${len} bytes is longer than 32767`);
    this.uvarint(len + 1);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }

  /** COMPACT_NULLABLE_STRING: null is 0. */
  compactNullableString(s: string | null | undefined): void {
    if (s === null) {
      this.uvarint(0);
      return;
    }
    this.compactString(s);
  }

  // ---- bytes and records ----

  /** Raw bytes, copied, or passed through as their own chunk when large (outside tagged fields). */
  raw(b: Uint8Array): void {
    const len = b.length;
    if (len >= ZERO_COPY_MIN_BYTES && this.noSplit === 0) {
      this.cut();
      (this.chunks ??= []).push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, len));
      this.chunkedBytes += len;
      return;
    }
    this.ensure(len);
    this.buf.set(b, this.pos);
    this.pos += len;
  }

  /** BYTES (and RECORDS): int32 length + bytes. */
  bytes(b: Uint8Array | null | undefined): void {
    if (!(b instanceof Uint8Array)) bad(`non-nullable bytes were ${String(b)}`);
    this.int32(b.length);
    this.raw(b);
  }

  /** NULLABLE_BYTES (and nullable RECORDS): null is length -1. */
  nullableBytes(b: Uint8Array | null | undefined): void {
    if (b === null) {
      this.int32(-1);
      return;
    }
    this.bytes(b);
  }

  /** COMPACT_BYTES (and COMPACT_RECORDS): unsigned varint length + 1. */
  compactBytes(b: Uint8Array | null | undefined): void {
    if (!(b instanceof Uint8Array)) bad(`non-nullable bytes were ${String(b)}`);
    this.uvarint(b.length + 1);
    this.raw(b);
  }

  /** COMPACT_NULLABLE_BYTES: null is 0. */
  compactNullableBytes(b: Uint8Array | null | undefined): void {
    if (b === null) {
      this.uvarint(0);
      return;
    }
    this.compactBytes(b);
  }

  // ---- arrays ----

  /** ARRAY count: int32 (-1 for null). */
  arrayLength(n: number): void {
    this.int32(n);
  }

  /** COMPACT_ARRAY count: unsigned varint count + 1 (0 for null). */
  compactArrayLength(n: number): void {
    this.uvarint(n + 1);
  }

  // ---- tagged fields ----

  /**
   * Starts one tagged field: writes the tag and reserves one byte for its size. Returns a mark for
   * `endTaggedField`, which patches the size (moving the field's bytes if the size needs more than
   * one byte).
   */
  beginTaggedField(tag: number): number {
    this.uvarint(tag);
    this.ensure(1);
    this.noSplit++;
    return ++this.pos;
  }

  endTaggedField(mark: number): void {
    const size = this.pos - mark;
    if (size < 0x80) {
      this.buf[mark - 1] = size;
    } else {
      const extra = uvarintSize(size) - 1;
      this.ensure(extra);
      const b = this.buf;
      b.copyWithin(mark + extra, mark, this.pos);
      let p = mark - 1;
      let v = size;
      while (v >= 0x80) {
        b[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      b[p] = v;
      this.pos += extra;
    }
    this.noSplit--;
  }

  /** The error for a null (or missing) value in a field that is not nullable in the version written. */
  static nullField(field: string): InvalidFieldValueError {
    return new InvalidFieldValueError(`non-nullable field ${field} is null`);
  }
}
