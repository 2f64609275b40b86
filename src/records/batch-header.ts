import { crc32c } from './crc32c.js';
import { CorruptRecordError } from './errors.js';
import { readInt64, writeInt64 } from './int64.js';

/**
 * Fixed layout of a Kafka RecordBatch (magic 2). Offsets are from the start of the batch.
 * The log, the broker and the connectors all read these fields straight out of Buffers,
 * so they are defined once here.
 *
 * 64-bit fields (offsets, timestamps, producer ids) are JS numbers: they stay exact up to 2^53,
 * which no offset or millisecond timestamp reaches, and numbers keep the hot paths free of BigInt.
 *
 *   baseOffset           int64   0
 *   batchLength          int32   8   bytes after this field
 *   partitionLeaderEpoch int32  12
 *   magic                int8   16   always 2
 *   crc                  uint32 17   CRC-32C of everything from attributes to the end
 *   attributes           int16  21
 *   lastOffsetDelta      int32  23
 *   baseTimestamp        int64  27
 *   maxTimestamp         int64  35
 *   producerId           int64  43
 *   producerEpoch        int16  51
 *   baseSequence         int32  53
 *   recordCount          int32  57
 *   records                     61
 */
export const BASE_OFFSET = 0;
export const BATCH_LENGTH = 8;
export const PARTITION_LEADER_EPOCH = 12;
export const MAGIC = 16;
export const CRC = 17;
export const ATTRIBUTES = 21;
export const LAST_OFFSET_DELTA = 23;
export const BASE_TIMESTAMP = 27;
export const MAX_TIMESTAMP = 35;
export const PRODUCER_ID = 43;
export const PRODUCER_EPOCH = 51;
export const BASE_SEQUENCE = 53;
export const RECORD_COUNT = 57;
export const RECORDS = 61;

/** Size of the fixed header; also the smallest possible batch. */
export const BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: the part of a batch not counted in batchLength. */
export const LOG_OVERHEAD = 12;

/** attributes bits */
export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_BIT = 0x08; // 0 = CreateTime, 1 = LogAppendTime
export const TRANSACTIONAL_BIT = 0x10;
export const CONTROL_BIT = 0x20;
export const DELETE_HORIZON_BIT = 0x40;

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

export interface BatchHeader {
  baseOffset: number;
  /** Whole size of the batch on disk / on the wire, including the 12 bytes of overhead. */
  sizeInBytes: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export function readBatchHeader(buf: Buffer, at = 0): BatchHeader {
  if (buf.length - at < BATCH_HEADER_SIZE) {
    throw new CorruptRecordError(`record batch header needs ${BATCH_HEADER_SIZE} bytes, ${buf.length - at} available`);
  }
  return {
    baseOffset: readInt64(buf, at + BASE_OFFSET),
    sizeInBytes: buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD,
    partitionLeaderEpoch: buf.readInt32BE(at + PARTITION_LEADER_EPOCH),
    magic: buf.readInt8(at + MAGIC),
    crc: buf.readUInt32BE(at + CRC),
    attributes: buf.readInt16BE(at + ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(at + LAST_OFFSET_DELTA),
    baseTimestamp: readInt64(buf, at + BASE_TIMESTAMP),
    maxTimestamp: readInt64(buf, at + MAX_TIMESTAMP),
    producerId: readInt64(buf, at + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(at + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(at + BASE_SEQUENCE),
    recordCount: buf.readInt32BE(at + RECORD_COUNT),
  };
}

/**
 * Size of the batch starting at `at`, or -1 when fewer than 12 bytes are there to tell.
 * Does not check that the whole batch is present.
 */
export function batchSizeAt(buf: Buffer, at: number): number {
  if (buf.length - at < LOG_OVERHEAD) return -1;
  return buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
}

/**
 * Checks magic, length and CRC of the batch at `at`, which must be wholly inside `buf`.
 * Throws CorruptRecordError with what is wrong.
 */
export function verifyBatch(buf: Buffer, at = 0): void {
  const size = batchSizeAt(buf, at);
  if (size < BATCH_HEADER_SIZE) throw new CorruptRecordError(`record batch length ${size} is below the header size`);
  if (at + size > buf.length) throw new CorruptRecordError(`record batch of ${size} bytes runs past the end of its buffer`);
  const magic = buf.readInt8(at + MAGIC);
  if (magic !== 2) throw new CorruptRecordError(`record batch magic ${magic} is not supported (only 2)`);
  const stored = buf.readUInt32BE(at + CRC);
  const actual = crc32c(buf.subarray(at + ATTRIBUTES, at + size));
  if (stored !== actual) {
    throw new CorruptRecordError(`record batch CRC mismatch: stored ${stored.toString(16)}, computed ${actual.toString(16)}`);
  }
}

/** Rewrites baseOffset in place; the CRC does not cover it, so nothing else changes. */
export function setBaseOffset(buf: Buffer, at: number, baseOffset: number): void {
  writeInt64(buf, at + BASE_OFFSET, baseOffset);
}

export function baseOffsetOf(buf: Buffer, at = 0): number {
  return readInt64(buf, at + BASE_OFFSET);
}

export function lastOffsetOf(buf: Buffer, at = 0): number {
  return readInt64(buf, at + BASE_OFFSET) + buf.readInt32BE(at + LAST_OFFSET_DELTA);
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & CONTROL_BIT) !== 0;
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & TRANSACTIONAL_BIT) !== 0;
}
