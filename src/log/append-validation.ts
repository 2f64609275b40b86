import {
  ATTRIBUTES,
  BATCH_HEADER_SIZE,
  CONTROL_BIT,
  CRC,
  LAST_OFFSET_DELTA,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  PRODUCER_ID,
  RECORD_COUNT,
  TIMESTAMP_TYPE_BIT,
  TRANSACTIONAL_BIT,
  batchSizeAt,
  setBaseOffset,
  verifyBatch,
} from '../records/batch-header.js';
import { crc32c } from '../records/crc32c.js';
import { CorruptRecordError } from '../records/errors.js';
import { writeInt64 } from '../records/int64.js';
import { RecordBatch } from '../records/record-batch.js';
import { RecordColumns } from '../records/record-columns.js';
import { InvalidRecordError, MessageTooLargeError, RecordListTooLargeError } from './errors.js';

/** Reused by every compacted-topic append (appends run one at a time on the one thread). */
let keyCheck = new RecordColumns(1024);

export interface AppendLimits {
  /** max.message.bytes: the largest single batch. */
  maxBatchBytes: number;
  /** segment.bytes: an append must fit in one segment. */
  maxAppendBytes: number;
  /** A compacted topic needs a key on every record (its latest value per key is what survives). */
  requireKeys: boolean;
}

export interface AppendShape {
  batches: number;
  records: number;
  /** Offsets the append takes: sum of (lastOffsetDelta + 1). */
  offsets: number;
  /**
   * Batches that need the producer-state checks: a producer id (idempotent or transactional), the
   * transactional bit, or the control bit. 0 for plain appends, which skip those checks entirely.
   */
  special: number;
}

/**
 * Checks a producer's concatenated batches before anything is written, reading only headers (plus
 * the records' keys for compacted topics): each batch whole, magic 2, CRC-32C right, no larger than
 * max.message.bytes, with contiguous offsets (lastOffsetDelta = recordCount - 1, as Kafka requires
 * of v2 producers). Throws the typed error Kafka would answer with.
 *
 * Per-record timestamps are not re-validated: the header's maxTimestamp is trusted, which keeps the
 * append path free of record decoding.
 */
export function validateAppend(buf: Buffer, limits: AppendLimits): AppendShape {
  if (buf.length === 0) throw new InvalidRecordError('append holds no record batch');
  if (buf.length > limits.maxAppendBytes) {
    throw new RecordListTooLargeError(`append of ${buf.length} bytes is larger than segment.bytes (${limits.maxAppendBytes})`);
  }
  let batches = 0;
  let records = 0;
  let offsets = 0;
  let special = 0;
  for (let at = 0; at < buf.length; ) {
    const size = batchSizeAt(buf, at);
    if (size < 0 || buf.length - at < BATCH_HEADER_SIZE) {
      throw new CorruptRecordError(`append ends with ${buf.length - at} bytes that are not a whole batch`);
    }
    if (size < BATCH_HEADER_SIZE) throw new CorruptRecordError(`batch at byte ${at} declares ${size} bytes, below the header size`);
    if (at + size > buf.length) throw new CorruptRecordError(`batch at byte ${at} declares ${size} bytes, only ${buf.length - at} are there`);
    if (size > limits.maxBatchBytes) {
      throw new MessageTooLargeError(`batch of ${size} bytes is larger than max.message.bytes (${limits.maxBatchBytes})`);
    }
    verifyBatch(buf, at);
    const count = buf.readInt32BE(at + RECORD_COUNT);
    const lastDelta = buf.readInt32BE(at + LAST_OFFSET_DELTA);
    if (count < 1) throw new InvalidRecordError(`batch at byte ${at} holds no records`);
    if (lastDelta !== count - 1) {
      throw new InvalidRecordError(`batch at byte ${at} has lastOffsetDelta ${lastDelta} for ${count} records; offsets must be contiguous`);
    }
    const attributes = buf.readInt16BE(at + ATTRIBUTES);
    // producerId >= 0 exactly when the high half of the int64 is non-negative.
    if (buf.readInt32BE(at + PRODUCER_ID) >= 0 || (attributes & (CONTROL_BIT | TRANSACTIONAL_BIT)) !== 0) special++;
    if (limits.requireKeys && (attributes & CONTROL_BIT) === 0) {
      // Key lengths from the columns reader: no key or value view per record (every changelog
      // append of a stateful task passes here, one record per changed key).
      const columns = keyCheck;
      columns.clear();
      try {
        new RecordBatch(buf.subarray(at, at + size)).readColumns(columns);
        const lengths = columns.keyLengths;
        for (let i = 0; i < columns.length; i++) {
          if (lengths[i]! < 0) throw new InvalidRecordError(`record ${i} of batch ${batches} has a null key; a compacted topic needs a key on every record`);
        }
      } finally {
        columns.clear(); // holds no reference to the appended bytes
        if (columns.offsets.length > 65_536) keyCheck = new RecordColumns(1024); // nor the arrays a huge batch grew
      }
    }
    batches++;
    records += count;
    offsets += lastDelta + 1;
    at += size;
  }
  return { batches, records, offsets, special };
}

/**
 * Gives each batch its offsets (rewriting baseOffset in place: the CRC does not cover it) and stamps
 * the leader epoch; with LogAppendTime also sets the timestamp-type bit and maxTimestamp, which the
 * CRC does cover, so it is recomputed. Returns the last offset assigned.
 */
export function assignOffsets(buf: Buffer, firstOffset: number, leaderEpoch: number, logAppendTime: number): number {
  let next = firstOffset;
  for (let at = 0; at < buf.length; ) {
    const size = batchSizeAt(buf, at);
    setBaseOffset(buf, at, next);
    buf.writeInt32BE(leaderEpoch, at + PARTITION_LEADER_EPOCH);
    if (logAppendTime >= 0) {
      buf.writeInt16BE(buf.readInt16BE(at + ATTRIBUTES) | TIMESTAMP_TYPE_BIT, at + ATTRIBUTES);
      writeInt64(buf, at + MAX_TIMESTAMP, logAppendTime);
      buf.writeUInt32BE(crc32c(buf.subarray(at + ATTRIBUTES, at + size)), at + CRC);
    }
    next += buf.readInt32BE(at + LAST_OFFSET_DELTA) + 1;
    at += size;
  }
  return next - 1;
}
