import { readRecordColumns, type RecordColumns } from './record-columns.js';
import {
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH,
  COMPRESSION_MASK,
  CONTROL_BIT,
  CRC,
  DELETE_HORIZON_BIT,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORD_COUNT,
  TIMESTAMP_TYPE_BIT,
  TRANSACTIONAL_BIT,
  readBatchHeader,
  setBaseOffset,
  verifyBatch,
  type BatchHeader,
} from './batch-header.js';
import { compress, compressionFromId, compressionId, decompress, DEFAULT_MAX_DECOMPRESSED_SIZE, type Compression } from './compression/index.js';
import { crc32c } from './crc32c.js';
import { CorruptRecordError, TributaryError } from './errors.js';
import { readInt64, writeInt64 } from './int64.js';
import {
  readRecords,
  sizeOfRecordBody,
  writeRecord,
  type DecodedRecord,
  type RecordHeader,
  type RecordInput,
  type RecordSection,
  type RecordVisitor,
} from './record.js';
import { sizeOfVarint } from './varint.js';

export type TimestampType = 'create' | 'log-append';

/** Java's RecordBatch.NO_TIMESTAMP: the timestamps of a batch that holds no records. */
export const NO_TIMESTAMP = -1;

export interface BatchInput {
  records: readonly RecordInput[];
  /** Default 0: a producer writes 0 and the log assigns the real offset with setBaseOffset. */
  baseOffset?: number;
  compression?: Compression;
  /** gzip / zstd level; the codec's default when absent. */
  compressionLevel?: number;
  /** Defaults -1 (no idempotence). */
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  /** Sets the delete-horizon attribute (KIP-534); baseTimestamp then holds the horizon. */
  deleteHorizon?: boolean;
  /** Default -1; the leader stamps its epoch on append. */
  partitionLeaderEpoch?: number;
  /** Default 'create'. */
  timestampType?: TimestampType;
  /** Default: the first record's timestamp (as Java's MemoryRecordsBuilder does). */
  baseTimestamp?: number;
  /** Default: the largest record timestamp. */
  maxTimestamp?: number;
  /** Default: the last record's offsetDelta. Required for a batch without records. */
  lastOffsetDelta?: number;
}

// ---------------------------------------------------------------------------------------------
// encoding

/** Record body sizes from the sizing pass, reused across calls so encoding allocates only its output. */
let bodySizes = new Int32Array(1024);

function invalid(message: string): TributaryError {
  return new TributaryError('INVALID_RECORD', message);
}

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw invalid(`${name} ${v} is not an integer in [${min}, ${max}]`);
  return v;
}

function checkInt64(name: string, v: number): number {
  if (!Number.isSafeInteger(v)) throw invalid(`${name} ${v} is not a safe integer`);
  return v;
}

const INT16_MAX = 0x7fff;
const INT32_MAX = 0x7fffffff;

/**
 * Encodes one RecordBatch v2. Uncompressed, the batch is sized in a first pass and written into a
 * single allocation; compressed, the records are written into one buffer, compressed, and framed.
 * Invalid input (a non-integer timestamp, decreasing offsetDeltas, an out-of-range producer field)
 * is a TributaryError with code INVALID_RECORD.
 */
export function encodeRecordBatch(input: BatchInput): Buffer {
  const records = input.records;
  const n = records.length;
  const baseOffset = checkInt64('baseOffset', input.baseOffset ?? 0);
  const compression = input.compression ?? 'none';
  const codecId = compressionId(compression);
  const producerId = checkInt64('producerId', input.producerId ?? NO_PRODUCER_ID);
  const producerEpoch = checkInt('producerEpoch', input.producerEpoch ?? NO_PRODUCER_EPOCH, -1, INT16_MAX);
  const baseSequence = checkInt('baseSequence', input.baseSequence ?? NO_SEQUENCE, -1, INT32_MAX);
  const leaderEpoch = checkInt('partitionLeaderEpoch', input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, -1, INT32_MAX);
  let attributes = codecId;
  if (input.timestampType === 'log-append') attributes |= TIMESTAMP_TYPE_BIT;
  if (input.transactional === true) attributes |= TRANSACTIONAL_BIT;
  if (input.control === true) attributes |= CONTROL_BIT;
  if (input.deleteHorizon === true) attributes |= DELETE_HORIZON_BIT;

  if (bodySizes.length < n) bodySizes = new Int32Array(Math.max(n, bodySizes.length * 2));
  const sizes = bodySizes;
  const now = Date.now();
  const first = records[0];
  const baseTimestamp = checkInt64(
    'baseTimestamp',
    input.baseTimestamp ?? (first === undefined ? NO_TIMESTAMP : first.timestamp ?? now),
  );
  let maxTimestamp = n === 0 ? NO_TIMESTAMP : -Infinity;
  let prevDelta = -1;
  let recordsSize = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const ts = r.timestamp ?? now;
    if (!Number.isSafeInteger(ts)) throw invalid(`record ${i} timestamp ${ts} is not a safe integer`);
    const od = r.offsetDelta ?? i;
    if (!Number.isInteger(od) || od <= prevDelta || od > INT32_MAX) {
      throw invalid(`record ${i} offsetDelta ${od} must be an int32 greater than the previous record's (${prevDelta})`);
    }
    prevDelta = od;
    if (ts > maxTimestamp) maxTimestamp = ts;
    const body = sizeOfRecordBody(r, od, ts - baseTimestamp);
    sizes[i] = body;
    recordsSize += sizeOfVarint(body) + body;
  }
  if (input.maxTimestamp !== undefined) maxTimestamp = checkInt64('maxTimestamp', input.maxTimestamp);
  let lastOffsetDelta: number;
  if (input.lastOffsetDelta !== undefined) {
    lastOffsetDelta = checkInt('lastOffsetDelta', input.lastOffsetDelta, Math.max(prevDelta, 0), INT32_MAX);
  } else if (n === 0) {
    throw invalid('a batch without records needs an explicit lastOffsetDelta');
  } else {
    lastOffsetDelta = prevDelta;
  }

  let buf: Buffer;
  if (codecId === 0) {
    buf = Buffer.allocUnsafe(BATCH_HEADER_SIZE + recordsSize);
    const end = writeRecordsAt(buf, BATCH_HEADER_SIZE, records, sizes, baseTimestamp, now);
    if (end !== buf.length) throw new Error(`record batch encoder wrote ${end} of ${buf.length} bytes`);
  } else {
    const plain = Buffer.allocUnsafe(recordsSize);
    const end = writeRecordsAt(plain, 0, records, sizes, baseTimestamp, now);
    if (end !== plain.length) throw new Error(`record batch encoder wrote ${end} of ${plain.length} bytes`);
    const packed = compress(compression, plain, input.compressionLevel);
    buf = Buffer.allocUnsafe(BATCH_HEADER_SIZE + packed.length);
    buf.set(packed, BATCH_HEADER_SIZE);
  }

  writeInt64(buf, BASE_OFFSET, baseOffset);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH);
  buf.writeInt32BE(leaderEpoch, PARTITION_LEADER_EPOCH);
  buf[MAGIC] = 2;
  buf.writeInt16BE(attributes, ATTRIBUTES);
  buf.writeInt32BE(lastOffsetDelta, LAST_OFFSET_DELTA);
  writeInt64(buf, BASE_TIMESTAMP, baseTimestamp);
  writeInt64(buf, MAX_TIMESTAMP, maxTimestamp);
  writeInt64(buf, PRODUCER_ID, producerId);
  buf.writeInt16BE(producerEpoch, PRODUCER_EPOCH);
  buf.writeInt32BE(baseSequence, BASE_SEQUENCE);
  buf.writeInt32BE(n, RECORD_COUNT);
  buf.writeUInt32BE(crc32c(buf.subarray(ATTRIBUTES)), CRC);
  return buf;
}

function writeRecordsAt(
  buf: Buffer,
  at: number,
  records: readonly RecordInput[],
  sizes: Int32Array,
  baseTimestamp: number,
  now: number,
): number {
  let p = at;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    p = writeRecord(buf, p, r, sizes[i]!, r.offsetDelta ?? i, (r.timestamp ?? now) - baseTimestamp);
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// the lazy view

/**
 * A view over the bytes of one RecordBatch v2. Header fields are read from the Buffer on each access;
 * records are decoded only when iterated, and a compressed batch is decompressed once, on first
 * iteration. Construction checks only what every later read relies on (length and magic); the CRC is
 * checked by verify(), so the log can choose when to pay for it.
 */
export class RecordBatch {
  /** Exactly the batch's bytes, 12-byte log overhead included. */
  readonly buffer: Buffer;
  #records: Buffer | undefined;

  constructor(buffer: Buffer) {
    if (buffer.length < BATCH_HEADER_SIZE) {
      throw new CorruptRecordError(`record batch needs at least ${BATCH_HEADER_SIZE} bytes, got ${buffer.length}`);
    }
    const size = buffer.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
    if (size !== buffer.length) {
      throw new CorruptRecordError(`record batch declares ${size} bytes but its buffer holds ${buffer.length}`);
    }
    const magic = buffer.readInt8(MAGIC);
    if (magic !== 2) throw new CorruptRecordError(`record batch magic ${magic} is not supported (only 2)`);
    this.buffer = buffer;
  }

  /** The batch starting at `position` in a buffer of concatenated batches; bounds are checked. */
  static at(buf: Buffer, position = 0): RecordBatch {
    if (buf.length - position < LOG_OVERHEAD) {
      throw new CorruptRecordError(`no record batch at ${position}: only ${buf.length - position} bytes left`);
    }
    const size = buf.readInt32BE(position + BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || position + size > buf.length) {
      throw new CorruptRecordError(`record batch at ${position} declares ${size} bytes, ${buf.length - position} available`);
    }
    return new RecordBatch(buf.subarray(position, position + size));
  }

  get sizeInBytes(): number {
    return this.buffer.length;
  }
  get baseOffset(): number {
    return readInt64(this.buffer, BASE_OFFSET);
  }
  get batchLength(): number {
    return this.buffer.readInt32BE(BATCH_LENGTH);
  }
  get partitionLeaderEpoch(): number {
    return this.buffer.readInt32BE(PARTITION_LEADER_EPOCH);
  }
  get magic(): number {
    return this.buffer.readInt8(MAGIC);
  }
  get crc(): number {
    return this.buffer.readUInt32BE(CRC);
  }
  get attributes(): number {
    return this.buffer.readInt16BE(ATTRIBUTES);
  }
  get compressionId(): number {
    return this.attributes & COMPRESSION_MASK;
  }
  /** Throws UnsupportedCompressionError for codec ids 5..7. */
  get compression(): Compression {
    return compressionFromId(this.attributes & COMPRESSION_MASK);
  }
  get timestampType(): TimestampType {
    return (this.attributes & TIMESTAMP_TYPE_BIT) !== 0 ? 'log-append' : 'create';
  }
  get isTransactional(): boolean {
    return (this.attributes & TRANSACTIONAL_BIT) !== 0;
  }
  get isControl(): boolean {
    return (this.attributes & CONTROL_BIT) !== 0;
  }
  get hasDeleteHorizon(): boolean {
    return (this.attributes & DELETE_HORIZON_BIT) !== 0;
  }
  get lastOffsetDelta(): number {
    return this.buffer.readInt32BE(LAST_OFFSET_DELTA);
  }
  get lastOffset(): number {
    return this.baseOffset + this.lastOffsetDelta;
  }
  /** The offset the next batch of the partition gets. */
  get nextOffset(): number {
    return this.lastOffset + 1;
  }
  get baseTimestamp(): number {
    return readInt64(this.buffer, BASE_TIMESTAMP);
  }
  get maxTimestamp(): number {
    return readInt64(this.buffer, MAX_TIMESTAMP);
  }
  get producerId(): number {
    return readInt64(this.buffer, PRODUCER_ID);
  }
  get producerEpoch(): number {
    return this.buffer.readInt16BE(PRODUCER_EPOCH);
  }
  get baseSequence(): number {
    return this.buffer.readInt32BE(BASE_SEQUENCE);
  }
  /** Sequences wrap from int32 max to 0, as in Java's DefaultRecordBatch. */
  get lastSequence(): number {
    const base = this.baseSequence;
    if (base === NO_SEQUENCE) return NO_SEQUENCE;
    const last = base + this.lastOffsetDelta;
    return last > INT32_MAX ? last - INT32_MAX - 1 : last;
  }
  get recordCount(): number {
    return this.buffer.readInt32BE(RECORD_COUNT);
  }

  header(): BatchHeader {
    return readBatchHeader(this.buffer, 0);
  }

  /** Checks length, magic and CRC-32C; throws CorruptRecordError on a mismatch. */
  verify(): void {
    verifyBatch(this.buffer, 0);
  }

  isValid(): boolean {
    try {
      verifyBatch(this.buffer, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Rewrites baseOffset in the underlying bytes (outside the CRC, so the batch stays valid). */
  setBaseOffset(baseOffset: number): void {
    setBaseOffset(this.buffer, 0, baseOffset);
  }

  /**
   * The records section, decompressed (once, then cached) when the batch is compressed; for an
   * uncompressed batch a view of the original bytes.
   */
  recordsData(maxSize = DEFAULT_MAX_DECOMPRESSED_SIZE): Buffer {
    if (this.#records === undefined) {
      const raw = this.buffer.subarray(BATCH_HEADER_SIZE);
      const codec = this.compressionId;
      this.#records = codec === 0 ? raw : decompress(codec, raw, maxSize);
    }
    return this.#records;
  }

  /** Hot path: visits every record (or until `visit` returns false); returns how many were visited. */
  forEachRecord(visit: RecordVisitor): number {
    return readRecords(this.#section(false), visit);
  }

  /**
   * Hot path for whole-fetch readers: appends the records with offset in [fromOffset, stopAt) to
   * `out` as columns (record-columns.ts), nothing made per record. Returns how many were read.
   */
  readColumns(out: RecordColumns, fromOffset = -1, stopAt = Infinity): number {
    return readRecordColumns(this.#section(false), out, fromOffset, stopAt);
  }

  /**
   * Where the records are (decompressed once). `stored`: offsets are the records' offset deltas and
   * timestamps the ones written, whatever the timestamp type (what re-encoding needs).
   */
  #section(stored: boolean): RecordSection {
    const data = this.recordsData();
    const logAppendTime = !stored && (this.attributes & TIMESTAMP_TYPE_BIT) !== 0;
    return {
      data,
      start: 0,
      end: data.length,
      count: this.recordCount,
      baseOffset: stored ? 0 : this.baseOffset,
      baseTimestamp: this.baseTimestamp,
      logAppendTime,
      maxTimestamp: logAppendTime ? this.maxTimestamp : 0,
    };
  }

  /** Every record as a plain object. */
  records(): DecodedRecord[] {
    const out: DecodedRecord[] = [];
    this.forEachRecord((offset, timestamp, key, value, headers) => {
      out.push({ offset, timestamp, key, value, headers: headers.length === 0 ? [] : (headers as RecordHeader[]) });
    });
    return out;
  }

  [Symbol.iterator](): IterableIterator<DecodedRecord> {
    return this.records()[Symbol.iterator]();
  }

  /**
   * Everything needed to encode this batch again: header fields, and records with their stored
   * timestamps (not the LogAppendTime substitution) and offset deltas. For an uncompressed batch
   * encodeRecordBatch(batch.toInput()) reproduces the bytes exactly.
   */
  toInput(): BatchInput {
    const baseOffset = this.baseOffset;
    const records: RecordInput[] = [];
    readRecords(this.#section(true), (offsetDelta, timestamp, key, value, headers) => {
      records.push({ key, value, timestamp, offsetDelta, headers: headers.length === 0 ? [] : (headers as RecordHeader[]) });
    });
    const input: BatchInput = {
      records,
      baseOffset,
      compression: this.compression,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      baseSequence: this.baseSequence,
      transactional: this.isTransactional,
      control: this.isControl,
      deleteHorizon: this.hasDeleteHorizon,
      partitionLeaderEpoch: this.partitionLeaderEpoch,
      timestampType: this.timestampType,
      baseTimestamp: this.baseTimestamp,
      maxTimestamp: this.maxTimestamp,
      lastOffsetDelta: this.lastOffsetDelta,
    };
    return input;
  }
}

/** Decodes the whole batch at `position` into plain records (convenience; not for hot paths). */
export function decodeRecords(buf: Buffer, position = 0): DecodedRecord[] {
  return RecordBatch.at(buf, position).records();
}
