import {
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH,
  CRC,
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
  TRANSACTIONAL_BIT,
} from './batch-header.js';
import { crc32c } from './crc32c.js';
import { TributaryError } from './errors.js';
import { writeInt64 } from './int64.js';
import { sizeOfRecordBody, writeRecord, type RecordInput } from './record.js';
import { sizeOfVarint } from './varint.js';

/** The header fields a producer stamps on a batch when it is built (uncompressed, CreateTime). */
export interface BatchStamp {
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
}

const INITIAL_BYTES = 4096;

/**
 * Encodes records into one uncompressed RecordBatch v2 as they are appended, instead of keeping
 * them as objects until the batch is encoded: a producer that buffers for a whole commit interval
 * then holds bytes, not an object (and its key/value Buffers) per record, so those objects die
 * young and cheaply. The records' bytes go into a growing scratch Buffer after room for the batch
 * header; `build()` copies them into an exact-size batch with the header and CRC written, and the
 * builder starts over, keeping its scratch Buffer for the next batch.
 *
 * What `build()` returns is byte for byte what `encodeRecordBatch` gives for the same records
 * (offsetDelta = the record's index, baseTimestamp = the first record's timestamp).
 */
export class RecordBatchBuilder {
  private buf: Buffer;
  private pos = BATCH_HEADER_SIZE;
  private n = 0;
  private baseTimestamp = 0;
  private maxTimestamp = 0;

  constructor(initialBytes = INITIAL_BYTES) {
    this.buf = Buffer.allocUnsafe(Math.max(initialBytes, BATCH_HEADER_SIZE + 64));
  }

  /** Records appended since the last build. */
  get count(): number {
    return this.n;
  }

  /** Encoded size of the batch so far, header included. */
  get sizeInBytes(): number {
    return this.pos;
  }

  /**
   * Appends a record (a missing timestamp means now). With `limit`, a record that would take a
   * non-empty batch past `limit` bytes is not appended and the answer is 0 (build, then append it
   * to the next batch); otherwise returns the bytes the record took.
   */
  append(r: RecordInput, limit = Infinity): number {
    const ts = r.timestamp ?? Date.now();
    if (!Number.isSafeInteger(ts)) {
      throw new TributaryError('INVALID_RECORD', `record timestamp ${ts} is not a safe integer`);
    }
    const n = this.n;
    const base = n === 0 ? ts : this.baseTimestamp;
    const body = sizeOfRecordBody(r, n, ts - base);
    const size = sizeOfVarint(body) + body;
    const at = this.pos;
    if (n > 0 && at + size > limit) return 0;
    if (at + size > this.buf.length) this.grow(at + size);
    this.pos = writeRecord(this.buf, at, r, body, n, ts - base);
    if (n === 0) {
      this.baseTimestamp = ts;
      this.maxTimestamp = ts;
    } else if (ts > this.maxTimestamp) this.maxTimestamp = ts;
    this.n = n + 1;
    return size;
  }

  /** The batch of the records appended so far (at least one), with `stamp`'s fields; the builder is then empty. */
  build(stamp: BatchStamp = {}): Buffer {
    if (this.n === 0) throw new TributaryError('INVALID_RECORD', 'a batch without records cannot be built from records');
    const size = this.pos;
    const out = Buffer.allocUnsafe(size);
    this.buf.copy(out, 0, 0, size);
    writeInt64(out, BASE_OFFSET, 0);
    out.writeInt32BE(size - LOG_OVERHEAD, BATCH_LENGTH);
    out.writeInt32BE(NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH);
    out[MAGIC] = 2;
    out.writeInt16BE(stamp.transactional === true ? TRANSACTIONAL_BIT : 0, ATTRIBUTES);
    out.writeInt32BE(this.n - 1, LAST_OFFSET_DELTA);
    writeInt64(out, BASE_TIMESTAMP, this.baseTimestamp);
    writeInt64(out, MAX_TIMESTAMP, this.maxTimestamp);
    writeInt64(out, PRODUCER_ID, stamp.producerId ?? NO_PRODUCER_ID);
    out.writeInt16BE(stamp.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH);
    out.writeInt32BE(stamp.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE);
    out.writeInt32BE(this.n, RECORD_COUNT);
    out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES)), CRC);
    this.clear();
    return out;
  }

  /** Drops the records appended since the last build. */
  clear(): void {
    this.pos = BATCH_HEADER_SIZE;
    this.n = 0;
  }

  private grow(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}
