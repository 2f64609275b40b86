/**
 * Reads Kafka protocol primitives from a Buffer, front to back. The generated decoders call these
 * methods in straight lines; every method checks the bytes left before it reads or allocates, so
 * malformed or hostile input ends in a MalformedMessageError, never a RangeError and never an
 * allocation sized by an unchecked length.
 *
 * `bytes`/`records` values are returned as views (`subarray`) of the input Buffer, not copies.
 */
import { MalformedMessageError } from './protocol-error.js';

/** Longest string the protocol allows (int16 length). Compact strings keep the same limit (as Kafka does). */
export const MAX_STRING_LENGTH = 0x7fff;

export class Reader {
  readonly buf: Buffer;
  /** Next byte to read. */
  pos: number;
  /** One past the last byte this reader may read. */
  readonly end: number;
  /** Error name used for malformed input: INVALID_REQUEST when reading requests, CORRUPT_MESSAGE for responses. */
  readonly malformedCode: 'INVALID_REQUEST' | 'CORRUPT_MESSAGE';

  constructor(
    buf: Buffer,
    start = 0,
    end = buf.length,
    malformedCode: 'INVALID_REQUEST' | 'CORRUPT_MESSAGE' = 'INVALID_REQUEST',
  ) {
    if (start < 0 || end > buf.length || start > end) {
      throw new RangeError(`reader bounds [${start}, ${end}) outside a buffer of ${buf.length} bytes`);
    }
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.malformedCode = malformedCode;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  /** Builds (does not throw) the error for malformed input at the current position. */
  error(message: string): MalformedMessageError {
    return new MalformedMessageError(this.malformedCode, message, this.pos);
  }

  private short(n: number): never {
    throw this.error(`need ${n} bytes, only ${this.end - this.pos} left`);
  }

  skip(n: number): void {
    if (n < 0 || n > this.end - this.pos) this.short(n);
    this.pos += n;
  }

  // ---- fixed-width integers (big-endian) ----

  bool(): boolean {
    if (this.pos >= this.end) this.short(1);
    return this.buf[this.pos++] !== 0;
  }

  int8(): number {
    if (this.pos >= this.end) this.short(1);
    return (this.buf[this.pos++]! << 24) >> 24;
  }

  int16(): number {
    const p = this.pos;
    if (p + 2 > this.end) this.short(2);
    this.pos = p + 2;
    const b = this.buf;
    return ((b[p]! << 24) | (b[p + 1]! << 16)) >> 16;
  }

  uint16(): number {
    const p = this.pos;
    if (p + 2 > this.end) this.short(2);
    this.pos = p + 2;
    const b = this.buf;
    return (b[p]! << 8) | b[p + 1]!;
  }

  int32(): number {
    const p = this.pos;
    if (p + 4 > this.end) this.short(4);
    this.pos = p + 4;
    const b = this.buf;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }

  uint32(): number {
    return this.int32() >>> 0;
  }

  int64(): bigint {
    const p = this.pos;
    if (p + 8 > this.end) this.short(8);
    this.pos = p + 8;
    const b = this.buf;
    const hi = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
    if (hi >= -0x200000 && hi < 0x200000) {
      // |value| < 2^53: one exact number, one BigInt (offsets, timestamps, ids, -1 sentinels)
      const lo = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
      return BigInt(hi * 4294967296 + lo);
    }
    return b.readBigInt64BE(p);
  }

  float64(): number {
    const p = this.pos;
    if (p + 8 > this.end) this.short(8);
    this.pos = p + 8;
    return this.buf.readDoubleBE(p);
  }

  /** A 16-byte uuid, returned in Kafka's text form (URL-safe base64 without padding, 22 chars). */
  uuid(): string {
    const p = this.pos;
    if (p + 16 > this.end) this.short(16);
    this.pos = p + 16;
    return this.buf.toString('base64url', p, p + 16);
  }

  // ---- varints ----

  /** Unsigned LEB128, at most 5 bytes, value below 2^32. */
  uvarint(): number {
    const b = this.buf;
    let p = this.pos;
    const end = this.end;
    if (p >= end) this.short(1);
    let byte = b[p++]!;
    if (byte < 0x80) {
      this.pos = p;
      return byte;
    }
    let value = byte & 0x7f;
    let shift = 7;
    for (;;) {
      if (p >= end) {
        this.pos = p;
        this.short(1);
      }
      byte = b[p++]!;
      if (shift === 28) {
        if (byte > 0x0f) {
          this.pos = p - 1;
          throw this.error('unsigned varint is too long');
        }
        value += byte * 0x10000000;
        break;
      }
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
      shift += 7;
    }
    this.pos = p;
    return value;
  }

  /** Zig-zag signed varint (int32). */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zig-zag signed varlong (int64), at most 10 bytes. */
  varlong(): bigint {
    const b = this.buf;
    let p = this.pos;
    let value = 0n;
    let shift = 0n;
    for (let i = 0; ; i++) {
      if (p >= this.end) {
        this.pos = p;
        this.short(1);
      }
      if (i === 10) {
        this.pos = p;
        throw this.error('varlong is too long');
      }
      const byte = b[p++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) break;
      shift += 7n;
    }
    this.pos = p;
    value = BigInt.asUintN(64, value);
    return BigInt.asIntN(64, (value >> 1n) ^ -(value & 1n));
  }

  // ---- strings ----

  private text(len: number): string {
    if (len > MAX_STRING_LENGTH) throw this.error(`string length ${len} exceeds ${MAX_STRING_LENGTH}`);
    const p = this.pos;
    if (len > this.end - p) this.short(len);
    this.pos = p + len;
    return this.buf.toString('utf8', p, p + len);
  }

  /** STRING: int16 length, then UTF-8 bytes. */
  string(): string {
    const len = this.int16();
    if (len < 0) throw this.error('non-nullable string was null');
    return this.text(len);
  }

  /** NULLABLE_STRING: as STRING, a negative length is null. */
  nullableString(): string | null {
    const len = this.int16();
    return len < 0 ? null : this.text(len);
  }

  /** COMPACT_STRING: unsigned varint length + 1, then UTF-8 bytes. */
  compactString(): string {
    const n = this.uvarint();
    if (n === 0) throw this.error('non-nullable compact string was null');
    return this.text(n - 1);
  }

  /** COMPACT_NULLABLE_STRING: as COMPACT_STRING, 0 is null. */
  compactNullableString(): string | null {
    const n = this.uvarint();
    return n === 0 ? null : this.text(n - 1);
  }

  // ---- bytes (also used for `records` fields) ----

  private view(len: number): Buffer {
    const p = this.pos;
    if (len > this.end - p) this.short(len);
    this.pos = p + len;
    return this.buf.subarray(p, p + len);
  }

  /** BYTES: int32 length, then the bytes (a view, not a copy). */
  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) throw this.error('non-nullable bytes were null');
    return this.view(len);
  }

  /** NULLABLE_BYTES (also RECORDS in non-flexible versions): a negative length is null. */
  nullableBytes(): Buffer | null {
    const len = this.int32();
    return len < 0 ? null : this.view(len);
  }

  /** COMPACT_BYTES: unsigned varint length + 1. */
  compactBytes(): Buffer {
    const n = this.uvarint();
    if (n === 0) throw this.error('non-nullable compact bytes were null');
    return this.view(n - 1);
  }

  /** COMPACT_NULLABLE_BYTES (also COMPACT_RECORDS): 0 is null. */
  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    return n === 0 ? null : this.view(n - 1);
  }

  // ---- arrays ----

  private count(n: number, minElementSize: number): number {
    // Kafka refuses a count larger than the bytes left; with a known smallest element size this is tighter.
    if (n * minElementSize > this.end - this.pos) {
      throw this.error(`array of ${n} elements cannot fit in the ${this.end - this.pos} bytes left`);
    }
    return n;
  }

  /** ARRAY: int32 count; returns -1 for null. The count is checked against the bytes left. */
  arrayLength(minElementSize: number): number {
    const n = this.int32();
    return n < 0 ? -1 : this.count(n, minElementSize);
  }

  /** COMPACT_ARRAY: unsigned varint count + 1; returns -1 for null (0 on the wire). */
  compactArrayLength(minElementSize: number): number {
    const n = this.uvarint();
    if (n === 0) return -1;
    if (n > 0x7fffffff) throw this.error(`compact array count ${n - 1} is too large`);
    return this.count(n - 1, minElementSize);
  }

  /** The error for a null in a field that is not nullable in this version. */
  nullField(field: string): MalformedMessageError {
    return this.error(`non-nullable field ${field} was serialized as null`);
  }

  // ---- tagged fields ----

  /** Skips a whole tagged-field section (used where the schema knows no tagged fields). */
  skipTaggedFields(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint(); // tag
      const size = this.uvarint();
      if (size > this.end - this.pos) this.short(size);
      this.pos += size;
    }
  }

  /** Reads the size of one tagged field and checks it fits; returns the position where the field must end. */
  taggedFieldEnd(): number {
    const size = this.uvarint();
    if (size > this.end - this.pos) this.short(size);
    return this.pos + size;
  }

  /** Checks that a known tagged field used exactly the bytes its size announced. */
  endTaggedField(end: number, tag: number): void {
    if (this.pos !== end) throw this.error(`tagged field ${tag} does not match its declared size`);
  }
}

/** The default value of `bytes` fields (shared: a zero-length Buffer cannot be changed). */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);
