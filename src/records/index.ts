/**
 * The records layer: Kafka RecordBatch v2, the one record format on disk and on the wire.
 * Imports nothing else of ours.
 */
export * from './errors.js';
export { readInt64, writeInt64 } from './int64.js';
export { crc32c } from './crc32c.js';
export * from './varint.js';
export * from './batch-header.js';
export {
  COMPRESSION_CODECS,
  DEFAULT_MAX_DECOMPRESSED_SIZE,
  compress,
  compressionFromId,
  compressionId,
  decompress,
  isCompression,
  isXerialFramed,
  type Compression,
} from './compression/index.js';
export {
  MIN_RECORD_BODY_SIZE,
  MIN_RECORD_SIZE,
  NO_HEADERS,
  readRecords,
  sizeOfRecordBody,
  writeRecord,
  type DecodedRecord,
  type RecordHeader,
  type RecordInput,
  type RecordSection,
  type RecordVisitor,
} from './record.js';
export { RecordColumns, readRecordColumns } from './record-columns.js';
export { NO_TIMESTAMP, RecordBatch, decodeRecords, encodeRecordBatch, type BatchInput, type TimestampType } from './record-batch.js';
export { iterateBatches, scanBatches, type BatchScan, type BatchSpan, type ScanStop } from './batch-scan.js';
export * from './control.js';
export { murmur2, toPositive } from './murmur2.js';
export { partitionForKey } from './partitioner.js';
