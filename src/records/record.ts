import { CorruptRecordError, TributaryError } from './errors.js';
import type { RecordColumns } from './record-columns.js';
import {
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  writeVarint,
  writeVarlong,
  type Cursor,
} from './varint.js';

/**
 * One record inside a RecordBatch v2:
 *
 *   length          varint   bytes after this field
 *   attributes      int8     unused, 0
 *   timestampDelta  varlong  from the batch's baseTimestamp
 *   offsetDelta     varint   from the batch's baseOffset
 *   keyLength       varint   -1 = null
 *   key             bytes
 *   valueLength     varint   -1 = null
 *   value           bytes
 *   headerCount     varint
 *   headers         { keyLength varint, key utf8, valueLength varint (-1 = null), value bytes }*
 */

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** A record to encode. Absent key/value/timestamp mean null / null / the batch's "now". */
export interface RecordInput {
  key?: Uint8Array | null;
  value: Uint8Array | null;
  timestamp?: number;
  headers?: readonly RecordHeader[];
  /** Defaults to the record's index; set it to keep the gaps of a compacted batch. */
  offsetDelta?: number;
}

/** A decoded record; key, value and header values are views into the batch's bytes, not copies. */
export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/**
 * Hot-path record callback. key/value are subarrays of the (decompressed) batch bytes: copy them if
 * they must outlive the batch buffer. Return `false` to stop early (e.g. records below a fetch offset
 * are skipped by returning nothing, records past a limit by returning false).
 */
export type RecordVisitor = (
  offset: number,
  timestamp: number,
  key: Buffer | null,
  value: Buffer | null,
  headers: readonly RecordHeader[],
) => boolean | void;

/** Shared by every record without headers, so those records allocate no array. */
export const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);

/** attributes + timestampDelta + offsetDelta + keyLength + valueLength + headerCount, each 1 byte. */
export const MIN_RECORD_BODY_SIZE = 6;
/** A whole record is at least its 1-byte length plus the smallest body. */
export const MIN_RECORD_SIZE = 1 + MIN_RECORD_BODY_SIZE;

// ---------------------------------------------------------------------------------------------
// encoding

function invalid(message: string): TributaryError {
  return new TributaryError('INVALID_RECORD', message);
}

/** Size of the record's body (everything after its length varint). */
export function sizeOfRecordBody(r: RecordInput, offsetDelta: number, timestampDelta: number): number {
  const key = r.key;
  const value = r.value;
  let size = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta);
  size += key == null ? 1 : sizeOfVarint(key.length) + key.length;
  size += value == null ? 1 : sizeOfVarint(value.length) + value.length;
  const headers = r.headers;
  if (headers === undefined || headers.length === 0) return size + 1;
  size += sizeOfVarint(headers.length);
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    if (typeof h.key !== 'string') throw invalid('record header key must be a string');
    const kl = headerKeyBytes(h.key).length;
    size += sizeOfVarint(kl) + kl;
    size += h.value == null ? 1 : sizeOfVarint(h.value.length) + h.value.length;
  }
  return size;
}

// Header keys repeat from record to record (the engine stamps one on every repartitioned
// record): their UTF-8 bytes are kept, so sizing and writing a header copies bytes instead of
// measuring and encoding the string twice per record. Bounded: cleared when full.
const MAX_CACHED_HEADER_KEYS = 64;
const headerKeyCache = new Map<string, Buffer>();

function headerKeyBytes(key: string): Buffer {
  let b = headerKeyCache.get(key);
  if (b === undefined) {
    if (headerKeyCache.size >= MAX_CACHED_HEADER_KEYS) headerKeyCache.clear();
    b = Buffer.from(key, 'utf8');
    headerKeyCache.set(key, b);
  }
  return b;
}

/**
 * Writes the record (length prefix included) at `at`; `bodySize` is what sizeOfRecordBody returned
 * for the same arguments. Returns the position after the record.
 */
export function writeRecord(
  buf: Buffer,
  at: number,
  r: RecordInput,
  bodySize: number,
  offsetDelta: number,
  timestampDelta: number,
): number {
  let p = writeVarint(buf, at, bodySize);
  buf[p++] = 0;
  p = writeVarlong(buf, p, timestampDelta);
  p = writeVarint(buf, p, offsetDelta);
  const key = r.key;
  if (key == null) {
    buf[p++] = 1; // zigzag(-1)
  } else {
    p = writeVarint(buf, p, key.length);
    p = copyBytes(buf, p, key);
  }
  const value = r.value;
  if (value == null) {
    buf[p++] = 1;
  } else {
    p = writeVarint(buf, p, value.length);
    p = copyBytes(buf, p, value);
  }
  const headers = r.headers;
  if (headers === undefined || headers.length === 0) {
    buf[p++] = 0;
    return p;
  }
  p = writeVarint(buf, p, headers.length);
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    const kb = headerKeyBytes(h.key);
    p = writeVarint(buf, p, kb.length);
    p = copyBytes(buf, p, kb);
    if (h.value == null) {
      buf[p++] = 1;
    } else {
      p = writeVarint(buf, p, h.value.length);
      p = copyBytes(buf, p, h.value);
    }
  }
  return p;
}

// Called through Uint8Array.prototype directly: `buf.set` on a Buffer is measurably slower (the
// lookup goes through Buffer.prototype), and copying is the largest cost of encoding.
const u8set = Uint8Array.prototype.set;

function copyBytes(buf: Buffer, at: number, src: Uint8Array): number {
  u8set.call(buf, src, at);
  return at + src.length;
}

// ---------------------------------------------------------------------------------------------
// decoding

/** Where one batch's records lie, and what their offsets and timestamps are relative to. */
export interface RecordSection {
  /** The records' bytes: a view of the batch, or a compressed batch's decompressed bytes. */
  data: Buffer;
  start: number;
  end: number;
  count: number;
  baseOffset: number;
  baseTimestamp: number;
  /** Every record then reports `maxTimestamp`, as Java's consumer does for LogAppendTime batches. */
  logAppendTime: boolean;
  maxTimestamp: number;
}

/**
 * Hands each record to `visit`, key, value and header values as views of the section's bytes;
 * stops early when `visit` returns false. Returns how many records were read.
 */
export function readRecords(section: RecordSection, visit: RecordVisitor): number {
  return parseRecords(section, visit, null, -Infinity, Infinity);
}

/**
 * The one parse of the record format, for both readers: records handed to a visitor (readRecords)
 * and records appended to columns (readRecordColumns), so both accept and refuse exactly the same
 * bytes with the same error. One loop with the two outputs side by side, written out in it, rather
 * than a per-record parse function or sink method: V8 inlines only about 900 bytes of bytecode into
 * one function, and with a call per record (or helper calls for the key/value checks) the varint
 * reads stopped being inlined, costing the columns reader 7 to 15 % of its speed.
 *
 * The section must hold exactly `count` records: a record that runs past its declared length or
 * past the section, a length below the minimum, a negative size other than -1, a negative header
 * count, too few records or bytes left over are all CorruptRecordError. Records with an offset
 * below `fromOffset` are checked and skipped; reading stops at the first record at or past
 * `stopAt`, or when `visit` returns false. With `out` the records go into the columns (headers
 * checked, parsed only when asked for), otherwise to `visit`. Returns how many records were read.
 */
export function parseRecords(
  section: RecordSection,
  visit: RecordVisitor | null,
  out: RecordColumns | null,
  fromOffset: number,
  stopAt: number,
): number {
  const { data, start, end, count, baseOffset, baseTimestamp, logAppendTime, maxTimestamp } = section;
  if (count < 0) throw new CorruptRecordError(`record batch declares a negative record count ${count}`);
  if (count > (end - start) / MIN_RECORD_SIZE) {
    throw new CorruptRecordError(`record batch declares ${count} records but holds only ${end - start} bytes of records`);
  }
  const chunk = out === null ? -1 : out.addChunk(data, count);
  // Views are made with the Buffer's own subarray, as in RecordColumns (see there: cheaper than
  // Buffer.from(arrayBuffer, offset, length) on Node 20).
  const c: Cursor = { pos: start, end };
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
    const keyLength = readVarint(data, c);
    const keyAt = c.pos;
    if (keyLength >= 0) {
      if (keyLength > recEnd - c.pos) throw new CorruptRecordError(`record ${i} key of ${keyLength} bytes runs past the record`);
      c.pos += keyLength;
    } else if (keyLength !== -1) {
      throw new CorruptRecordError(`record ${i} has an invalid key length ${keyLength}`);
    }
    const valueLength = readVarint(data, c);
    const valueAt = c.pos;
    if (valueLength >= 0) {
      if (valueLength > recEnd - c.pos) throw new CorruptRecordError(`record ${i} value of ${valueLength} bytes runs past the record`);
      c.pos += valueLength;
    } else if (valueLength !== -1) {
      throw new CorruptRecordError(`record ${i} has an invalid value length ${valueLength}`);
    }
    const headerCount = readVarint(data, c);
    const headersAt = c.pos;
    // Checked even when not made: the bytes must be exactly a record.
    const headers = headerCount === 0 ? NO_HEADERS : readHeadersAt(data, c, headerCount, i, out !== null);
    if (c.pos !== recEnd) {
      throw new CorruptRecordError(`record ${i} declares ${len} bytes but its fields take ${len - (recEnd - c.pos)}`);
    }
    const offset = baseOffset + offsetDelta;
    if (offset >= stopAt) return i + 1;
    if (offset < fromOffset) continue;
    const timestamp = logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta;
    if (out !== null) {
      // Written here rather than by a method of RecordColumns: V8 inlines only so much into one
      // function, and a method call here left two of the varint reads above as calls.
      const n = out.length++;
      out.offsets[n] = offset;
      out.timestamps[n] = timestamp;
      out.keyStarts[n] = keyAt;
      out.keyLengths[n] = keyLength;
      out.valueStarts[n] = valueAt;
      out.valueLengths[n] = valueLength;
      out.headerStarts[n] = headersAt;
      out.headerCounts[n] = headerCount;
      out.chunkOf[n] = chunk;
    } else if (visit !== null) {
      const key = keyLength < 0 ? null : data.subarray(keyAt, keyAt + keyLength);
      const value = valueLength < 0 ? null : data.subarray(valueAt, valueAt + valueLength);
      if (visit(offset, timestamp, key, value, headers) === false) return i + 1;
    }
  }
  if (c.pos !== end) {
    throw new CorruptRecordError(`record batch has ${end - c.pos} bytes left after its ${count} records`);
  }
  return count;
}

// Header keys repeat from record to record (an application's own, the engine's on every
// repartitioned record): the keys decoded last are kept with their bytes, and a key whose bytes
// match one of them is that string again: no UTF-8 decoding and no new string per header.
const KEY_CACHE_SLOTS = 8;
const MAX_CACHED_KEY_BYTES = 64;
const cachedKeyBytes: Buffer[] = [];
const cachedKeys: string[] = [];
let nextKeySlot = 0;

function headerKey(data: Buffer, at: number, length: number): string {
  if (length > MAX_CACHED_KEY_BYTES) return data.toString('utf8', at, at + length);
  for (let i = 0; i < cachedKeyBytes.length; i++) {
    const kb = cachedKeyBytes[i]!;
    if (kb.length !== length) continue;
    let j = 0;
    while (j < length && kb[j] === data[at + j]) j++;
    if (j === length) return cachedKeys[i]!;
  }
  const key = data.toString('utf8', at, at + length);
  cachedKeyBytes[nextKeySlot] = Buffer.from(data.subarray(at, at + length));
  cachedKeys[nextKeySlot] = key;
  nextKeySlot = (nextKeySlot + 1) % KEY_CACHE_SLOTS;
  return key;
}

/**
 * Reads `count` headers at the cursor (record `record`, for error messages). With `checkOnly` the
 * bytes are checked exactly the same way but nothing is made (the answer is then the empty list).
 */
export function readHeadersAt(data: Buffer, c: Cursor, count: number, record: number, checkOnly = false): RecordHeader[] {
  // Each header takes at least 2 bytes, so a larger count cannot be honest; checking first keeps a
  // hostile count from driving a long loop.
  if (count < 0 || count > (c.end - c.pos) / 2) {
    throw new CorruptRecordError(`record ${record} has an invalid header count ${count}`);
  }
  const headers: RecordHeader[] = checkOnly ? (NO_HEADERS as RecordHeader[]) : new Array<RecordHeader>(count);
  for (let j = 0; j < count; j++) {
    const kl = readVarint(data, c);
    if (kl < 0) throw new CorruptRecordError(`record ${record} header ${j} has an invalid key length ${kl}`);
    if (kl > c.end - c.pos) throw new CorruptRecordError(`record ${record} header ${j} key runs past the record`);
    const key = checkOnly ? '' : headerKey(data, c.pos, kl);
    c.pos += kl;
    const vl = readVarint(data, c);
    let value: Buffer | null = null;
    if (vl >= 0) {
      if (vl > c.end - c.pos) throw new CorruptRecordError(`record ${record} header ${j} value runs past the record`);
      if (!checkOnly) value = data.subarray(c.pos, c.pos + vl);
      c.pos += vl;
    } else if (vl !== -1) {
      throw new CorruptRecordError(`record ${record} header ${j} has an invalid value length ${vl}`);
    }
    if (!checkOnly) headers[j] = { key, value };
  }
  return headers;
}
