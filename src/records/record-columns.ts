import { CorruptRecordError } from './errors.js';
import { MIN_RECORD_BODY_SIZE, MIN_RECORD_SIZE, NO_HEADERS, readHeadersAt, type RecordHeader } from './record.js';
import { readVarint, readVarlong, type Cursor } from './varint.js';

/**
 * Decoded records as columns: offsets and timestamps in typed arrays, keys, values and headers as
 * positions in the bytes they were read from. Nothing is made per record while reading: a key or
 * value becomes a Buffer (a view, or a copy) only when `key(i)`/`value(i)` is called, headers are
 * parsed only when `headers(i)` is (a record without headers answers the shared empty list).
 *
 * This is what a consumer of a whole fetch needs (the engine reads every record of it, mostly
 * only its value): `readRecords` makes two Buffers and calls a visitor per record, and its users
 * then made an object per record on top.
 *
 * Records may come from several batches (several chunks of bytes: the fetch's own bytes, or a
 * compressed batch's decompressed ones); each record remembers its chunk.
 */
export class RecordColumns {
  length = 0;
  offsets: Float64Array;
  timestamps: Float64Array;
  /** Start of the key within its chunk; keyLengths -1 = null. */
  keyStarts: Int32Array;
  keyLengths: Int32Array;
  valueStarts: Int32Array;
  valueLengths: Int32Array;
  /** Where the record's first header starts (after the count); headerCounts 0 = none. */
  headerStarts: Int32Array;
  headerCounts: Int32Array;
  /** Index into `chunks` of the bytes each record lies in. */
  chunkOf: Int32Array;
  readonly chunks: Buffer[] = [];

  constructor(capacity = 64) {
    const n = Math.max(capacity, 1);
    this.offsets = new Float64Array(n);
    this.timestamps = new Float64Array(n);
    this.keyStarts = new Int32Array(n);
    this.keyLengths = new Int32Array(n);
    this.valueStarts = new Int32Array(n);
    this.valueLengths = new Int32Array(n);
    this.headerStarts = new Int32Array(n);
    this.headerCounts = new Int32Array(n);
    this.chunkOf = new Int32Array(n);
  }

  /** The key of record i: a view of its bytes (no copy), or null. */
  key(i: number): Buffer | null {
    const len = this.keyLengths[i]!;
    if (len < 0) return null;
    const chunk = this.chunks[this.chunkOf[i]!]!;
    return Buffer.from(chunk.buffer, chunk.byteOffset + this.keyStarts[i]!, len);
  }

  /** The value of record i: a view of its bytes (no copy), or null. */
  value(i: number): Buffer | null {
    const len = this.valueLengths[i]!;
    if (len < 0) return null;
    const chunk = this.chunks[this.chunkOf[i]!]!;
    return Buffer.from(chunk.buffer, chunk.byteOffset + this.valueStarts[i]!, len);
  }

  /** The headers of record i, parsed now (values are views); the shared empty list when it has none. */
  headers(i: number): readonly RecordHeader[] {
    const count = this.headerCounts[i]!;
    if (count === 0) return NO_HEADERS;
    const chunk = this.chunks[this.chunkOf[i]!]!;
    // The record's bounds were checked when it was read: its headers end before the chunk does.
    return readHeadersAt(chunk, { pos: this.headerStarts[i]!, end: chunk.length }, count, i);
  }

  /** Drops the records (the arrays are kept for the next read). */
  clear(): void {
    this.length = 0;
    this.chunks.length = 0;
  }

  /** Room for `n` more records. */
  reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.offsets.length) return;
    const size = Math.max(need, this.offsets.length * 2);
    const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a.subarray(0, this.length) as never);
      return b;
    };
    this.offsets = grow(this.offsets, (n) => new Float64Array(n));
    this.timestamps = grow(this.timestamps, (n) => new Float64Array(n));
    this.keyStarts = grow(this.keyStarts, (n) => new Int32Array(n));
    this.keyLengths = grow(this.keyLengths, (n) => new Int32Array(n));
    this.valueStarts = grow(this.valueStarts, (n) => new Int32Array(n));
    this.valueLengths = grow(this.valueLengths, (n) => new Int32Array(n));
    this.headerStarts = grow(this.headerStarts, (n) => new Int32Array(n));
    this.headerCounts = grow(this.headerCounts, (n) => new Int32Array(n));
    this.chunkOf = grow(this.chunkOf, (n) => new Int32Array(n));
  }
}

/**
 * `readRecords` into columns: decodes the `count` records of data[start, end) and appends those
 * with offset in [fromOffset, stopAt) to `out`, with exactly readRecords' checks (the same
 * CorruptRecordError for the same bytes). Returns the number of records read (all `count`, or
 * up to and including the first one at or past `stopAt`, where reading stops).
 */
export function readRecordColumns(
  data: Buffer,
  start: number,
  end: number,
  count: number,
  baseOffset: number,
  baseTimestamp: number,
  logAppendTime: boolean,
  maxTimestamp: number,
  out: RecordColumns,
  fromOffset: number,
  stopAt: number,
): number {
  if (count < 0) throw new CorruptRecordError(`record batch declares a negative record count ${count}`);
  if (count > (end - start) / MIN_RECORD_SIZE) {
    throw new CorruptRecordError(`record batch declares ${count} records but holds only ${end - start} bytes of records`);
  }
  let chunk = out.chunks.length - 1;
  if (chunk < 0 || out.chunks[chunk] !== data) {
    out.chunks.push(data);
    chunk = out.chunks.length - 1;
  }
  out.reserve(count);
  const c: Cursor = { pos: start, end };
  let n = out.length;
  for (let i = 0; i < count; i++) {
    if (c.pos >= end) {
      throw new CorruptRecordError(`record batch declares ${count} records but its data ends after ${i}`);
    }
    c.end = end;
    const len = readVarint(data, c);
    const recEnd = c.pos + len;
    if (len < MIN_RECORD_BODY_SIZE) throw new CorruptRecordError(`record ${i} has an invalid length ${len}`);
    if (recEnd > end) {
      throw new CorruptRecordError(`record ${i} of ${len} bytes runs ${recEnd - end} bytes past the end of its batch`);
    }
    c.end = recEnd;
    c.pos++; // attributes: unused in v2
    const timestampDelta = readVarlong(data, c);
    const offsetDelta = readVarint(data, c);
    const keyLen = readVarint(data, c);
    const keyAt = c.pos;
    if (keyLen >= 0) {
      if (keyLen > recEnd - c.pos) throw new CorruptRecordError(`record ${i} key of ${keyLen} bytes runs past the record`);
      c.pos += keyLen;
    } else if (keyLen !== -1) {
      throw new CorruptRecordError(`record ${i} has an invalid key length ${keyLen}`);
    }
    const valueLen = readVarint(data, c);
    const valueAt = c.pos;
    if (valueLen >= 0) {
      if (valueLen > recEnd - c.pos) throw new CorruptRecordError(`record ${i} value of ${valueLen} bytes runs past the record`);
      c.pos += valueLen;
    } else if (valueLen !== -1) {
      throw new CorruptRecordError(`record ${i} has an invalid value length ${valueLen}`);
    }
    const headerCount = readVarint(data, c);
    const headersAt = c.pos;
    // Checked now (and parsed again only if someone asks): the bytes must be exactly a record.
    if (headerCount !== 0) readHeadersAt(data, c, headerCount, i, true);
    if (c.pos !== recEnd) {
      throw new CorruptRecordError(`record ${i} declares ${len} bytes but its fields take ${len - (recEnd - c.pos)}`);
    }
    const offset = baseOffset + offsetDelta;
    if (offset >= stopAt) {
      out.length = n;
      return i + 1;
    }
    if (offset < fromOffset) continue;
    out.offsets[n] = offset;
    out.timestamps[n] = logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta;
    out.keyStarts[n] = keyAt;
    out.keyLengths[n] = keyLen;
    out.valueStarts[n] = valueAt;
    out.valueLengths[n] = valueLen;
    out.headerStarts[n] = headersAt;
    out.headerCounts[n] = headerCount;
    out.chunkOf[n] = chunk;
    n++;
  }
  out.length = n;
  if (c.pos !== end) {
    throw new CorruptRecordError(`record batch has ${end - c.pos} bytes left after its ${count} records`);
  }
  return count;
}
